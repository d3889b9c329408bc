from builds.models import Upload


def upload_list(*, project_id: int, limit: int = 100) -> list[Upload]:
    return list(Upload.objects.filter(project_id=project_id)[:limit])


def upload_get(*, upload_public_id: str, project_id: int) -> Upload | None:
    return (
        Upload.objects.select_related("project")
        .filter(public_id=upload_public_id, project_id=project_id)
        .first()
    )


def upload_distribution_is_noop(*, upload: Upload) -> bool:
    """distribute-file would change nothing: the build is distributing or live already."""
    return upload.status == Upload.Status.DISTRIBUTE or upload.released_at is not None
