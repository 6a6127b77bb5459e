"""A workflow's own Jinja2 filter, for jinja_filters.cylc: Cylc loads
Jinja2Filters/NAME.py beside flow.cylc as the filter NAME."""


def shout(text):
    return str(text).upper()
