# ops-schedule as a container: `ops-schedule loop` under a non-root user, with a health check.
#   docker compose -f docker-compose.ops.yml --profile ops-scheduler up -d
# The image holds no configuration and no secrets: the config is mounted, the token comes
# from the environment (.env.ops).

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY deploy/install.sh ./deploy/install.sh
RUN sh deploy/install.sh /opt/ops-schedule /src

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/ops-schedule/bin:$PATH \
    OPS_SCHEDULE_CONFIG=/app/config/proxy-mcp/ops-schedule.json
RUN groupadd --system --gid 10001 ops \
    && useradd --system --uid 10001 --gid ops --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin ops \
    && mkdir -p /app/logs \
    && chown ops:ops /app/logs
COPY --from=build /opt/ops-schedule /opt/ops-schedule
# Relative paths in the config (stateDir, outputDir, sources) resolve against /app.
WORKDIR /app
USER ops:ops
# Healthy while the loop has completed a tick within three intervals and the config is valid.
HEALTHCHECK --interval=60s --timeout=15s --start-period=60s --retries=3 \
    CMD ["ops-schedule", "health"]
STOPSIGNAL SIGTERM
CMD ["ops-schedule", "loop"]
