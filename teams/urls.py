from django.urls import path

from teams import views

urlpatterns = [
    path("", views.team, name="team"),
    path("invite/", views.team_invite, name="team_invite"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("members/<str:member_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<str:member_id>/remove/", views.member_remove, name="member_remove"),
    path("leave/<str:owner_id>/", views.team_leave, name="team_leave"),
]
