"""SQLite storage: schema migrations, repositories and the FSM storage. All SQL lives here."""
