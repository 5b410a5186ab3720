"""Progress per task and month (issue 16 item 6), replacing the progress per plan and month.

The data migration, :func:`plan_progress_onto_tasks`, puts each plan-month row that holds anything (planned,
done or a note) on every task of the plan scheduled in that month, else on the plan's first task; a plan
with such rows and no task gets one task, named as the plan, with no schedule, to hold them. The rows come
over published where the map is published (the public read a published map's plan progress: it still
does), submitted for review where it is not (nobody reviewed them). Then the per-plan rows and the plan's
progress version go.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

import stratmap.core.fields


def plan_progress_onto_tasks(apps, schema_editor):
    PlanProgress = apps.get_model("plans", "PlanProgress")
    PlanTask = apps.get_model("plans", "PlanTask")
    TaskProgress = apps.get_model("plans", "TaskProgress")
    rows = [
        row
        for row in PlanProgress.objects.select_related("plan__kpi__objective__map").order_by("plan_id", "month")
        if row.planned or row.done or row.note
    ]
    tasks = defaultdict(list)
    for task in PlanTask.objects.filter(plan_id__in={row.plan_id for row in rows}).order_by("plan_id", "order"):
        tasks[task.plan_id].append(task)
    made = []
    for row in rows:
        plan = row.plan
        if not tasks[plan.pk]:
            tasks[plan.pk].append(PlanTask.objects.create(plan=plan, name=plan.name, months=None, order=1))
        scheduled = [t for t in tasks[plan.pk] if t.months and row.month in t.months]
        published = plan.kpi.objective.map.published
        for task in scheduled or tasks[plan.pk][:1]:
            made.append(
                TaskProgress(
                    task=task,
                    month=row.month,
                    planned=row.planned,
                    done="done" if row.done else "not_started",
                    note=row.note,
                    status="published" if published else "submitted",
                )
            )
    TaskProgress.objects.bulk_create(made)


def task_progress_onto_plans(apps, schema_editor):
    """Back: a plan's month is planned if any task's is, done if every task's is, its notes joined."""
    PlanProgress = apps.get_model("plans", "PlanProgress")
    TaskProgress = apps.get_model("plans", "TaskProgress")
    months = defaultdict(list)
    for row in TaskProgress.objects.select_related("task").order_by("task__plan_id", "month", "task__order"):
        months[(row.task.plan_id, row.month)].append(row)
    PlanProgress.objects.bulk_create(
        PlanProgress(
            plan_id=plan,
            month=month,
            planned=any(r.planned for r in rows),
            done=all(r.done == "done" for r in rows),
            note="; ".join(dict.fromkeys(r.note for r in rows if r.note))[:500],
        )
        for (plan, month), rows in months.items()
    )


class Migration(migrations.Migration):
    dependencies = [("plans", "0004_translations")]

    operations = [
        migrations.CreateModel(
            name="TaskProgress",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.PositiveSmallIntegerField(verbose_name="month")),
                ("planned", models.BooleanField(default=False, verbose_name="planned")),
                (
                    "done",
                    models.CharField(
                        choices=[("not_started", "not started"), ("under_way", "under way"), ("done", "done")],
                        default="not_started",
                        max_length=12,
                        verbose_name="done",
                    ),
                ),
                (
                    "note",
                    models.CharField(
                        blank=True,
                        max_length=500,
                        validators=[stratmap.core.fields.TextValidator()],
                        verbose_name="note",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "draft"),
                            ("submitted", "submitted"),
                            ("returned", "returned"),
                            ("approved", "approved"),
                            ("published", "published"),
                        ],
                        default="draft",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("review_comment", models.TextField(blank=True, validators=[stratmap.core.fields.TextValidator(4000)], verbose_name="review comment")),
                ("version", models.PositiveIntegerField(default=1, verbose_name="version")),
                (
                    "task",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="progress",
                        to="plans.plantask",
                        verbose_name="task",
                    ),
                ),
            ],
            options={
                "verbose_name": "task progress",
                "verbose_name_plural": "task progress",
                "ordering": ["task_id", "month"],
                "constraints": [
                    models.UniqueConstraint(fields=("task", "month"), name="unique_task_progress_month"),
                    models.CheckConstraint(
                        condition=models.Q(("month__gte", 1), ("month__lte", 12)), name="task_progress_month_1_12"
                    ),
                ],
            },
        ),
        migrations.RunPython(plan_progress_onto_tasks, task_progress_onto_plans),
        migrations.DeleteModel(name="PlanProgress"),
        migrations.RemoveField(model_name="actionplan", name="progress_version"),
    ]
