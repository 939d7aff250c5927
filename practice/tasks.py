from celery import shared_task


@shared_task
def ping(token: str) -> str:
    """Answer with the token: lets a health check see a worker run a task end to end."""
    return f"pong:{token}"
