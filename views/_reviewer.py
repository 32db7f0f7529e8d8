"""Who is reviewing, asked once per browser session before the first label.

With an OpenID Connect provider configured (`[auth]` in `.streamlit/secrets.toml`), the
login names the reviewer (`st.user`: its name, else its email) and there is nothing to pick.
Without one, the reviewer picks their name or types a new one; there is no default name, and
labelling is refused until a name is given. A dataset with allowed reviewers offers only
those names.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

import storage
from views import _common as common

_NAME = "_reviewer-name"
_PICK = "reviewer-pick"
NO_NAME = "Pick or add your reviewer name first (beside the card): every label carries it."


def login_configured() -> bool:
    """Whether the app has an OpenID Connect provider to log reviewers in with."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return False


def _picked() -> None:
    name = (st.session_state.get(_PICK) or "").strip()
    st.session_state[_NAME] = name or None


def current() -> str | None:
    """The reviewer's name as this session knows it (the login's, or the one picked), without
    drawing anything; `reviewer` draws the picker and checks the dataset's allowed list."""
    if login_configured():
        if not st.user.is_logged_in:
            return None
        return str(st.user.get("name") or st.user.get("email") or "") or None
    return st.session_state.get(_NAME)


def reviewer(db: str, dataset: str) -> str | None:
    """The reviewer of this browser session, showing the login or the name picker; None
    until there is one (or when the name is not allowed on `dataset`)."""
    if login_configured():
        if not st.user.is_logged_in:
            st.button("Log in to review", on_click=st.login, key="reviewer-login")
            return None
        name = current() or ""
        st.caption(common.md(f"Reviewing as {name}"))
        st.button("Log out", on_click=st.logout, key="reviewer-logout")
    else:
        allowed = storage.allowed_reviewers(db, dataset)
        name = st.session_state.get(_NAME)
        known = allowed or sorted(
            set(common.reviewers(db, dataset))
            | set(storage.task_reviewers(db, dataset))
            | ({name} if name else set())
        )
        st.session_state[_PICK] = name
        st.selectbox(
            "Reviewer",
            known,
            index=None,
            key=_PICK,
            on_change=_picked,
            accept_new_options=not allowed,
            placeholder="pick your name" if allowed else "pick or type your name",
        )
        if not name:
            return None
    allowed = storage.allowed_reviewers(db, dataset)
    if allowed and name not in allowed:
        st.error(common.md(f"{name} is not a reviewer of “{dataset}”: ask to be added."))
        return None
    return name
