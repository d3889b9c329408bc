"""Sign-in: the user model, the password rules and django-allauth (password and Google).

Password sign-in is on in development (KEYSERVICE_PASSWORD_LOGIN defaults to DJANGO_DEBUG);
without it allauth offers Google sign-in only. Google's endpoints are settings so that the
tests can point them at a fake server; the security topic builds the CSP's form-action from
the authorization URL.
"""

from keyservice.settings.env import DEBUG, env

AUTH_USER_MODEL = "accounts.User"
# allauth's backend; sessions only for accounts whose address is verified (accounts.backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.VerifiedAccountBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# --- Sign-in (django-allauth) ------------------------------------------------------------
KEYSERVICE_PASSWORD_LOGIN = env.bool("KEYSERVICE_PASSWORD_LOGIN", default=DEBUG)
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# A password sign-up proves its address (the emailed link) before the account can do anything;
# Google sign-in needs no link: an address Google does not vouch for is refused
# (accounts.adapters). allauth requires "none" when only Google sign-in is offered.
ACCOUNT_EMAIL_VERIFICATION = "mandatory" if KEYSERVICE_PASSWORD_LOGIN else "none"
# Sign-up, sign-in and password reset answer the same whether or not an account exists.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_FORMS = {
    "signup": "accounts.signup_form.SignupForm",
    "login": "accounts.login_form.LoginForm",  # the typed address in canonical form
}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Disconnecting a sign-in identity is audited and ends the other sessions (accounts.access).
SOCIALACCOUNT_FORMS = {"disconnect": "accounts.disconnect_form.IdentityDisconnectForm"}
# Without password sign-in, allauth offers only third-party (Google) sign-in.
SOCIALACCOUNT_ONLY = not KEYSERVICE_PASSWORD_LOGIN
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
# Email authentication matches only a verified local address, and an identity joining an
# existing account makes its password unusable, revokes its key, ends its other sessions and
# detaches its other identities (accounts.adapters.SocialAccountAdapter).
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
# Google's endpoints: the tests point them at a fake Google server (tests/e2e/fake_google.py).
KEYSERVICE_GOOGLE_AUTHORIZE_URL = env.str(
    "KEYSERVICE_GOOGLE_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth"
)
KEYSERVICE_GOOGLE_TOKEN_URL = env.str(
    "KEYSERVICE_GOOGLE_TOKEN_URL", default="https://oauth2.googleapis.com/token"
)
KEYSERVICE_GOOGLE_CERTS_URL = env.str(
    "KEYSERVICE_GOOGLE_CERTS_URL", default="https://www.googleapis.com/oauth2/v1/certs"
)
KEYSERVICE_GOOGLE_USERINFO_URL = env.str(
    "KEYSERVICE_GOOGLE_USERINFO_URL", default="https://www.googleapis.com/oauth2/v2/userinfo"
)
KEYSERVICE_GOOGLE_ISSUER = env.str(
    "KEYSERVICE_GOOGLE_ISSUER", default="https://accounts.google.com"
)
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        # allauth's Google provider with the endpoints above (accounts/google/__init__.py).
        "provider_class": "accounts.google.GoogleProvider",
        "SCOPE": ["openid", "profile", "email"],
        "AUTH_PARAMS": {"prompt": "select_account"},
        "OAUTH_PKCE_ENABLED": True,
        **(
            {"APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]}
            if GOOGLE_CLIENT_ID
            else {}
        ),
    }
}
