"""Saving sessions (being written): the Save page, the calendar pop-up, bulk save from the lists."""


def session_save(request, pk):
    raise NotImplementedError


def session_popup(request, pk):
    raise NotImplementedError


def bulk_save(request):
    raise NotImplementedError
