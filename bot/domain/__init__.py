"""The domain's records: what an initiative, a support request, a TOS, a person... is.

Services work with these, storage maps its rows to them, handlers show them. Nothing here
imports aiogram, storage or a service: a record is plain data, with at most a property
that follows from its own fields.
"""
