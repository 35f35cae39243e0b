# Backorder web and worker image. Web: the default command. Worker: `python manage.py qcluster`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic needs settings but no database or secrets of production.
RUN DEBUG=0 SECRET_KEY=build-only ENCRYPTION_KEYS=build-only python manage.py collectstatic --noinput -v 0

RUN useradd --system --uid 10001 --home /app backorder && chown -R backorder /app
USER backorder

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
