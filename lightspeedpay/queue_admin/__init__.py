"""The queue control plane: BullMQ's queues and PostgreSQL's job intents seen together, the operator's actions
on them (pause, resume, retry, clean, drain and unpark, one job's retry or discard), and the queue_metrics
sampler."""
