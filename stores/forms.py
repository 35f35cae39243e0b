from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label="Work e-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common password, not only digits.",
    )
    store_name = forms.CharField(label="Store name", max_length=100, help_text="It becomes your store's address.")


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class LoginRefusedForm(EmailAuthenticationForm):
    """The sign-in form when attempts are refused (stores.sign_in_limits): it says why and checks no password,
    so a refused guess cannot tell whether it was right."""

    def __init__(self, *args, refusal: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusal = refusal

    def clean(self):
        raise forms.ValidationError(self.refusal, code="rate_limited")
