"""The client portal: home, Bookings, Request a Session (booking), reschedule and cancel."""
from django.urls import path

from sessions_app.views import booking_steps, portal, portal_packages

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("bookings/<int:pk>/", portal.booking_detail, name="booking"),
    path("bookings/<int:pk>/cancel/", portal.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/pay/", portal.booking_pay, name="booking_pay"),
    path("bookings/<int:pk>/reschedule/", portal.booking_reschedule, name="booking_reschedule"),
    path("bookings/<int:pk>/reschedule/confirm/", portal.booking_reschedule_confirm, name="booking_reschedule_confirm"),
    path("packages/", portal_packages.packages, name="packages"),
    path("packages/<int:pk>/pay/", portal_packages.package_pay, name="package_pay"),
    path("book/", booking_steps.choose_service, name="book"),
    path("book/review/", booking_steps.review, name="book_review"),
    path("book/<int:service>/", booking_steps.choose_method, name="book_method"),
    path("book/<int:service>/<str:method>/", booking_steps.choose_practitioner, name="book_practitioner"),
    path("book/<int:service>/<str:method>/<int:practitioner>/", booking_steps.choose_time, name="book_time"),
    path("book/<int:service>/<str:method>/<int:practitioner>/details/", booking_steps.details, name="book_details"),
]
