# Filled by the aftercare issue: SessionNote, Reminder, Feedback.
