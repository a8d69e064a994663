"""The FastAPI backend: auth, tasks, chat and conversations under ``/api``; probes at the root."""
