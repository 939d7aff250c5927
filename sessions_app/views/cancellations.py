"""The cancellation tool (being written)."""


def cancellations(request):
    raise NotImplementedError


def cancellations_preview(request):
    raise NotImplementedError
