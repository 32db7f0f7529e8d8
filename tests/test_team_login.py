"""With `[auth]` in the app's secrets, Streamlit's own login names the reviewer: a real
OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, its authorization page in
chromium, and the label event's author is the login's stable subject (its email is not
verified), the display name only shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_fixtures import DATASET, REPO, build_store
from browser import (
    card_pair_id,
    goto,
    launch,
    new_page,
    open_page,
    see,
    serve_script,
    settle,
)
from processes import free_port

import storage

# The provider (a test tool) calls Authlib APIs that Authlib deprecates, in its own thread.
pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_the_reviewer_is_the_login(tmp_path: Path) -> None:
    import oidc_provider_mock

    db = tmp_path / "login.duckdb"
    run_id = build_store(db)
    ana = oidc_provider_mock.User(
        sub="ana", claims={"name": "Ana Example", "email": "ana@example.com"}
    )
    with oidc_provider_mock.run_server_in_thread(user_claims=[ana]) as provider:
        port = free_port()
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-of-some-length"\n'
            'client_id = "workbench"\n'
            'client_secret = "workbench-secret"\n'
            f'server_metadata_url = "http://127.0.0.1:{provider.server_port}'
            '/.well-known/openid-configuration"\n'
        )
        env = {"WORKBENCH_DB": str(db), "STREAMLIT_SECRETS_FILES": str(secrets)}
        with (
            serve_script(REPO / "app.py", tmp_path / "streamlit.log", env, port) as url,
            launch() as browser,
        ):
            page = new_page(browser)
            goto(page, f"{url}/review?dataset={DATASET}&run={run_id}")
            # to the provider's authorization page: not the app, so no script run to wait for
            page.locator(".st-key-reviewer-login button:visible").first.click()
            page.get_by_role("button", name="ana", exact=True).click()
            page.get_by_role("heading").first.wait_for()
            settle(page)
            open_page(page, "Review queue")
            see(page, "Reviewing as Ana Example")
            pair_id = card_pair_id(page)
            page.keyboard.press("1")  # Irrelevant
            settle(page)
    last = storage.label_history(db, pair_id)[-1]
    assert (last["source"], last["grade"], last["author"]) == ("review", 0, "ana")
