"""The review chain's addresses (issue 16 item 4): a map's review page and the bulk moves of /due/ and of it."""

from __future__ import annotations

from django.urls import path

from stratmap.web import review

urlpatterns = [
    path("<slug:org>/<year:year>/review/", review.queue, name="review"),
    path("due/bulk/", review.bulk, name="review-bulk"),
]
