from django.db import models


class Probe(models.Model):
    """Stands for any store table a release changes."""

    name = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["name"], name="probe_name")]

    def __str__(self) -> str:
        return self.name
