def practice(request):
    return {
        "current_practice": getattr(request, "practice", None),
        "current_membership": getattr(request, "membership", None),
    }
