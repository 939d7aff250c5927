from sessions_app.views.contacts import contact_delete, contact_edit, contact_list, contact_search  # noqa: F401
from sessions_app.views.dashboard import dashboard, my_sessions  # noqa: F401
from sessions_app.views.sessions import session_cancel, session_edit, session_new  # noqa: F401
