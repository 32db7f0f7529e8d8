"""Who is reviewing, asked once per browser session before the first label.

With an OpenID Connect provider configured (`[auth]` in `.streamlit/secrets.toml`), the
login names the reviewer (`st.user`: its name, else its email) and there is nothing to pick.
Without one, the reviewer picks their name or types a new one; there is no default name, and
labelling is refused until a name is given. A dataset with allowed reviewers offers only
those names.

Another page hands pairs to the Team page's New task form with `offer_pairs` (the pair ids
stay in the session: a cell's ids would not fit in a URL).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

import storage
from views import _common as common
from views import _selection as selection

_NAME = "_reviewer-name"
_PICK = "reviewer-pick"
NO_NAME = "Pick or add your reviewer name first (beside the card): every label carries it."
_OFFER = "task-pairs"  # in the active dataset's state: (pair set, not yet shown in the form)
TEAM_PAGE = str(Path(__file__).resolve().parent / "team.py")


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


def offer_pairs(pairs: storage.PairSet) -> None:
    """Open the Team page with its New task form set to draw from `pairs`."""
    selection.owned()[_OFFER] = (pairs, True)
    st.switch_page(TEAM_PAGE)


def offered_pairs() -> tuple[storage.PairSet | None, bool]:
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
