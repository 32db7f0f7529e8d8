"""Who is acting: one reviewer per browser session, chosen in the sidebar, and used by every
page that writes (a grade, a note, an undo, a pairwise decision, a relabel batch, an
adjudication, a guideline, a task, the team's lists). Whether that name may write is the
store's rule (`storage.team`), not the page's.

With an OpenID Connect provider configured (`[auth]` in `.streamlit/secrets.toml`), the
login is the reviewer and nothing can be typed: the reviewer's key, what events record and
lists name, is the provider's verified email, else its stable subject (`sub`); the display
name is only shown. Without one, the reviewer picks or types a name (self-declared: nothing
checks it), kept in the URL (`reviewer`, see `views/_selection.py`) so a reload or a link
opened in a new tab keeps it. A dataset with allowed reviewers offers only those names.

Another page hands pairs to the Team page's New task form with `offer_pairs` (the pair ids
stay in the session: a cell's ids would not fit in a URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components
from streamlit.errors import StreamlitSecretNotFoundError

import storage
from views import _common as common
from views import _selection as selection

_PICK = "reviewer-pick"
_PICKED = "_reviewer-picked"  # the run after a pick gives the keyboard back to the page
NO_NAME = "Pick your reviewer name in the sidebar first: every label carries it."
_OFFER = "task-pairs"  # in the active dataset's state: (pair set, not yet shown in the form)
TEAM_PAGE = str(Path(__file__).resolve().parent / "team.py")
_AUTH_KEYS = ("redirect_uri", "cookie_secret")
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def _auth() -> dict[str, Any] | None:
    try:
        return st.secrets["auth"].to_dict() if "auth" in st.secrets else None
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return None


def login_configured() -> bool:
    """Whether the app has an OpenID Connect provider to log reviewers in with."""
    return _auth() is not None


def auth_problem() -> str | None:
    """What is wrong with the `[auth]` section, in one sentence (None: nothing, or no
    section): Streamlit's own login would fail on it with a traceback."""
    auth = _auth()
    if auth is None:
        return None
    where = "the [auth] section of .streamlit/secrets.toml"
    if not auth:
        return f"{where} has no keys: give {', '.join(_AUTH_KEYS + _PROVIDER_KEYS)}"
    missing = [key for key in _AUTH_KEYS if not auth.get(key)]
    providers = [v for v in auth.values() if isinstance(v, dict)] or [auth]
    if not any(all(p.get(key) for key in _PROVIDER_KEYS) for p in providers):
        first = providers[0]
        missing += [key for key in _PROVIDER_KEYS if not first.get(key)]
    if missing:
        return f"{where} lacks {', '.join(missing)}: add it, then restart the app"
    return None


def _login_key() -> str | None:
    email = st.user.get("email")
    if email and st.user.get("email_verified") is True:
        return str(email)
    return str(st.user.get("sub") or "") or None


def current() -> str | None:
    """The reviewer's key as this session knows it (the login's, or the name picked), without
    drawing anything; `reviewer` also checks the dataset's allowed list."""
    if login_configured():
        if auth_problem() is not None or not st.user.is_logged_in:
            return None
        return _login_key()
    return selection.current().reviewer


def _picked() -> None:
    name = (st.session_state.get(_PICK) or "").strip()
    selection.update(reviewer=name or None)
    st.session_state[_PICKED] = True


def sidebar(db: str, dataset: str | None) -> None:
    """The session's one reviewer control, in the sidebar: the login, or the name picker."""
    if login_configured():
        if problem := auth_problem():
            st.error(common.md(f"Login is not set up: {problem}."))
        elif not st.user.is_logged_in:
            st.button("Log in to review", on_click=st.login, key="reviewer-login")
        else:
            shown = st.user.get("name") or current()
            st.caption(common.md(f"Reviewing as {shown} ({current()})"))
            st.button("Log out", on_click=st.logout, key="reviewer-logout")
        return
    name = selection.current().reviewer
    allowed = [] if dataset is None else storage.team.allowed_reviewers(db, dataset)
    known = allowed or sorted(
        (set() if dataset is None else set(common.reviewers(db, dataset)))
        | (set() if dataset is None else set(storage.team.task_reviewers(db, dataset)))
        | ({name} if name else set())
    )
    st.session_state[_PICK] = name if name in known or not allowed else None
    st.selectbox(
        "Reviewer",
        known,
        index=None,
        key=_PICK,
        on_change=_picked,
        accept_new_options=not allowed,
        placeholder="pick your name" if allowed else "pick or type your name",
        help="who every label and decision you make is recorded under (self-declared)",
    )
    if name and allowed and name not in allowed:  # from a link, or a list changed since
        st.warning(common.md(f"{name} is not a reviewer of “{dataset}”: pick an allowed name."))
    if st.session_state.pop(_PICKED, False):
        # Out of the picker: the card's grade keys go to the page, not into the box.
        components.html("<script>window.parent.document.activeElement?.blur()</script>", height=0)


def reviewer(db: str, dataset: str) -> str | None:
    """The reviewer of this browser session; None (with a message saying why) until there is
    one allowed on `dataset`."""
    name = current()
    if not name:
        return None
    allowed = storage.team.allowed_reviewers(db, dataset)
    if allowed and name not in allowed:
        st.error(common.md(f"{name} is not a reviewer of “{dataset}”: ask to be added."))
        return None
    return name


def offer_pairs(pairs: storage.team.PairSet) -> None:
    """Open the Team page with its New task form set to draw from `pairs`."""
    selection.owned()[_OFFER] = (pairs, True)
    st.switch_page(TEAM_PAGE)


def offered_pairs() -> tuple[storage.team.PairSet | None, bool]:
    """The pairs another page offered the New task form, and whether this is the first time
    the form shows them (it then presets itself to them); (None, False) when none."""
    offer = selection.owned().get(_OFFER)
    if offer is None:
        return None, False
    selection.owned()[_OFFER] = (offer[0], False)
    return offer


def drop_offered_pairs() -> None:
    """Forget the offered pairs: a task was made of them."""
    selection.owned().pop(_OFFER, None)
