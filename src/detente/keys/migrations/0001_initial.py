from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="DataKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("record_class", models.CharField(max_length=64, verbose_name="record class")),
                ("version", models.PositiveIntegerField(verbose_name="version")),
                ("key_id", models.CharField(max_length=16, unique=True, verbose_name="key id")),
                ("wrapped", models.TextField(verbose_name="wrapped key")),
                (
                    "master_fingerprint",
                    models.CharField(max_length=16, verbose_name="master key fingerprint"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "rewrapped_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last re-wrapped"),
                ),
            ],
            options={
                "verbose_name": "data key",
                "verbose_name_plural": "data keys",
                "ordering": ["record_class", "-version"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("record_class", "version"), name="one_data_key_per_version"
                    )
                ],
            },
        ),
    ]
