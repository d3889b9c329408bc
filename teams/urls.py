from django.urls import path

from teams import views

# The owner's team pages, mounted at /team/ (keyservice.urls).
urlpatterns = [
    path("", views.team, name="team"),
    path("invite/", views.team_invite, name="team_invite"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("members/<str:member_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<str:member_id>/remove/", views.member_remove, name="member_remove"),
    path("leave/<str:owner_id>/", views.team_leave, name="team_leave"),
]

# The invitee's page (the link in the invitation email), mounted at /invitations/
# (keyservice.urls): not under /team/, whose pages are the signed-in owner's.
invitations = [
    path("<str:token>/", views.invitation_detail, name="invitation_detail"),
]
