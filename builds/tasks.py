from celery import shared_task

from builds.services import uploads_hand_over_sweep


@shared_task
def builds_hand_over_sweep() -> int:
    return uploads_hand_over_sweep()
