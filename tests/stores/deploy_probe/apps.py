from django.apps import AppConfig


class DeployProbeConfig(AppConfig):
    name = "tests.stores.deploy_probe"
    label = "deploy_probe"
