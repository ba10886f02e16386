"""Meetings: the visitor books a meeting on a rep's calendar, with a Zoom link in the invite (Q12).

What is booked where is configuration (`[meetings]` in handoff.toml), not code:

    [meetings]
    calendar = "google-calendar"      # the connector that puts the invite on the rep's calendar
    video = "zoom"                    # "zoom": a new Zoom meeting per booking; "personal": the
                                      # rep's zoom_link ([[routing.reps]] zoom_link)
    title = "Meeting with {rep_name}" # placeholders: {rep_name}, {rep_email}, {attendee_email}
    duration_minutes = 30             # when a booking gives neither duration nor end

A booking is a decision (kind `meeting`, rule Q12) stored with ONE job
(`meeting.book`, key `meeting:<id>`) in one transaction
(`booking.request_booking`):
the sender's id is the idempotency key, so a repeated request books once.
The worker runs the job with `runner.booking_runner`:

1. the join link: the rep's personal `zoom_link` when `video = "personal"` or
   no Zoom connector is enabled; otherwise the `zoom` connector's
   `handoff_book_meeting` creates a meeting hosted by the rep (key
   `meeting:<id>:zoom`), falling back to the personal link when Zoom refuses
   for good (daily limit, unknown user, credentials) and the rep has one;
2. the link is stored (entity `meeting`/<id>) BEFORE the calendar call, so a
   retry after a calendar failure reuses it and never creates a second Zoom
   meeting;
3. the calendar connector's `handoff_book_meeting` puts the invite on the
   rep's calendar, visitor invited (key `meeting:<id>:calendar`: the same
   event on every attempt);
4. the booked meeting is stored (entity, job result, a `meeting.booked`
   decision that `handoff explain meeting:<id>` shows) and, for a booking
   made in a conversation, a `meeting_booked` conversation event that the
   Q15 metrics count.

Modules: `config` (the `[meetings]` table), `booking` (the decision and its
job), `runner` (the worker's side), `slots` (the free times offered).
"""
