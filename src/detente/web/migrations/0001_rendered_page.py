from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="RenderedPage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("path", models.CharField(max_length=500, verbose_name="address")),
                ("language", models.CharField(max_length=12, verbose_name="language")),
                ("version", models.CharField(max_length=64, verbose_name="data version")),
                ("etag", models.CharField(max_length=64)),
                ("content_type", models.CharField(max_length=100)),
                ("rendered_at", models.DateTimeField(verbose_name="rendered at")),
                ("render_seconds", models.FloatField(default=0.0)),
                ("wanted_at", models.DateTimeField(blank=True, null=True)),
                ("content", models.BinaryField()),
            ],
            options={
                "verbose_name": "rendered public page",
                "verbose_name_plural": "rendered public pages",
                "indexes": [models.Index(fields=["wanted_at"], name="web_page_wanted")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("path", "language"), name="web_page_path_language"
                    )
                ],
            },
        ),
    ]
