# syntax=docker/dockerfile:1
# Node 22 is an active LTS line; Shipgate needs Node 20.12 or later.

# Build stage: compile TypeScript with the dev dependencies, then drop them.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled code and production dependencies only, as the non-root user "node"
# (uid 1000, given by number so that Kubernetes' runAsNonRoot can verify it).
FROM node:22-slim
ENV NODE_ENV=production \
    PORT=3000 \
    WORKER_PORT=3001 \
    SHIPGATE_CONFIG=/config/shipgate.yml \
    SHIPGATE_CALENDARS=/config/calendars
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# manifest.yml: doctor compares the token's scopes with it; package.json: --version.
COPY package.json manifest.yml shipgate.example.yml ./
USER 1000:1000
# serve (and start) listen on PORT; a worker serves its health routes on WORKER_PORT.
EXPOSE 3000 3001
# Healthy when either port answers /healthz: the same image runs start, serve or worker.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=[process.env.PORT||3000,process.env.WORKER_PORT||3001];Promise.any(p.map(n=>fetch('http://127.0.0.1:'+n+'/healthz').then(r=>{if(!r.ok)throw 0}))).then(()=>process.exit(0),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start"]
