"""gunicorn settings for python_recipe.py: multiprocess metrics cleanup as documented by
prometheus_client."""
from prometheus_client import multiprocess


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
