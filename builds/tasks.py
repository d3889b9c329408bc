from celery import shared_task

from builds.services import upload_hand_over_sweep


@shared_task
def builds_hand_over_sweep() -> int:
    return upload_hand_over_sweep()
