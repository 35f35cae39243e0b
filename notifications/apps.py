from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from notifications import consent, incentive_mail

        consent.listeners_connect()  # delay notices and consent deadlines (backorder.delayed, brought_forward)
        incentive_mail.listeners_connect()  # incentive offers (backorder.incentive_offered)
        from notifications import services

        services.listeners_connect()  # shopper e-mails of the timeline, notify-me, merchant alerts
        from notifications.automations import recording

        recording.listeners_connect()  # merchant rules and outbound webhooks (notifications/automations/)
        from backorder.selectors_dashboard import OnboardingStep, onboarding_step_register
        from notifications.sample_email import sample_emails_sent
        from notifications.self_service import admin  # noqa: F401  (shopper data and link revocation, store admin)

        onboarding_step_register(OnboardingStep(key="test_email", label="Send yourself a test e-mail",
                                                href="/notifications/", done_when=sample_emails_sent))  # fmt: skip
