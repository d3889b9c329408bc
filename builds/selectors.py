from builds.models import Upload


def upload_list(*, project_id: int, limit: int = 100) -> list[Upload]:
    return list(Upload.objects.filter(project_id=project_id)[:limit])


def upload_get(*, upload_public_id: str, project_id: int) -> Upload | None:
    return (
        Upload.objects.select_related("project")
        .filter(public_id=upload_public_id, project_id=project_id)
        .first()
    )
