"""The confirmation step: every change is a POST of this form (link scanners only GET)."""

from django import forms


class ConfirmForm(forms.Form):
    confirm = forms.CharField(widget=forms.HiddenInput, initial="yes")

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"] != "yes":
            raise forms.ValidationError("Please confirm.")
        return "yes"
