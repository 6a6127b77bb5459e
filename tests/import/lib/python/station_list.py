"""Weather stations for jinja_python.cylc, read as Cylc 8 lets a workflow's
Jinja2 import Python from its lib/python."""

STATIONS = {"camborne": 3808, "heathrow": 3772, "shetland": 3005}


def names():
    return sorted(STATIONS)


def wmo(name):
    return STATIONS[name]
