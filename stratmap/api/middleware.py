"""The API speaks its client's language (issue 17): its addresses carry no language prefix, so the site's
``LocaleMiddleware`` would answer every client in the site's default; a client says which it reads with
``Accept-Language`` (or the site's language cookie), as HTTP clients do."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

PREFIX = "/api/"


class ApiLanguage:
    """For the API's addresses, the language of ``Accept-Language`` (the site's default without one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(PREFIX):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", language)
            return response
        return self.get_response(request)
