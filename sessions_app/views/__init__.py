from sessions_app.views.calendar import calendar, calendar_events, closure_add, closure_delete, session_move  # noqa: F401
from sessions_app.views.cancellations import cancellations, cancellations_preview  # noqa: F401
from sessions_app.views.completion import bulk_save, session_popup, session_save  # noqa: F401
from sessions_app.views.contacts import contact_delete, contact_edit, contact_list, contact_search  # noqa: F401
from sessions_app.views.dashboard import dashboard  # noqa: F401
from sessions_app.views.feeds import calendar_feed, feed_reset, feed_settings  # noqa: F401
from sessions_app.views.join import join  # noqa: F401
from sessions_app.views.lists import open_sessions, session_detail, session_list  # noqa: F401
from sessions_app.views.sessions import series_enable, session_cancel, session_edit, session_new  # noqa: F401
