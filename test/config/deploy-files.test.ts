import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';

// No container engine runs the tests: these read the files as Docker, Compose and Kubernetes
// would, and check what decides whether they work.

type Service = { build?: string; image?: string; command?: string[]; ports?: string[]; env_file?: string; environment?: Record<string, string>; volumes?: string[]; healthcheck?: { test: string[] }; depends_on?: Record<string, { condition: string }> };

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync('Dockerfile', 'utf8');
const dockerignore = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

describe('docker-compose.yml', () => {
  it('runs Redis persistent and without eviction, with a health check the others wait for', () => {
    const redis = compose.services.redis!;
    expect(redis.command).toEqual(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    for (const name of ['shipgate-serve', 'shipgate-worker']) expect(compose.services[name]!.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
  });

  it.each([
    ['shipgate-serve', 'serve', 'PORT', '3000'],
    ['shipgate-worker', 'worker', 'WORKER_PORT', '3001'],
  ])('%s builds the image, runs %s with the configuration mounted, and probes its own port', (name, command, portVariable, port) => {
    const service = compose.services[name]!;
    expect({ build: service.build, command: service.command, env_file: service.env_file }).toEqual({ build: '.', command: [command], env_file: '.env' });
    const env = service.environment!;
    expect(env).toMatchObject({ REDIS_URL: 'redis://redis:6379', [portVariable]: port, SHIPGATE_CONFIG: '/config/shipgate.yml', SHIPGATE_CALENDARS: '/config/calendars' });
    expect(service.volumes).toEqual([`./shipgate.yml:${env.SHIPGATE_CONFIG}:ro`, `./calendars:${env.SHIPGATE_CALENDARS}:ro`]);
    expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
    const settings = readSettings(env);
    expect(settings.ok).toBe(true);
    if (settings.ok) expect(portVariable === 'PORT' ? settings.settings.port : settings.settings.workerPort).toBe(Number(port));
  });

  it('publishes the Slack receiver port', () => {
    expect(compose.services['shipgate-serve']!.ports).toEqual(['3000:3000']);
  });
});

describe('Dockerfile', () => {
  const stages = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => ({ image: m[1], name: m[2] }));

  it('builds in two stages on a supported Node LTS and runs as a non-root user', () => {
    expect(stages).toEqual([{ image: 'node:22-slim', name: 'build' }, { image: 'node:22-slim', name: undefined }]);
    const user = /^USER (\S+)$/m.exec(dockerfile)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(dockerfile).toMatch(/^EXPOSE 3000 3001$/m);
    expect(dockerfile).toMatch(/SHIPGATE_CONFIG=\/config\/shipgate\.yml/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/cli\.js"\]$/m);
  });

  it('copies only files the build context keeps, and keeps .env and node_modules out', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(copied).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'package.json', 'manifest.yml', 'shipgate.example.yml']);
    for (const file of copied) expect(dockerignore).not.toContain(file);
    expect(dockerignore).toEqual(expect.arrayContaining(['.env', 'node_modules', 'dist', '.git']));
  });

  it('has a HEALTHCHECK that passes when either role answers /healthz, and fails when none does', async () => {
    const command = JSON.parse(/^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 404);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as AddressInfo).port);
    const probe = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, command.slice(1), { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    try {
      expect(await probe({ PORT: port, WORKER_PORT: '1' })).toBe(0);
      expect(await probe({ PORT: '1', WORKER_PORT: port })).toBe(0);
      expect(await probe({ PORT: '1', WORKER_PORT: '2' })).toBe(1);
    } finally {
      server.close();
    }
  });
});

describe('the Kubernetes manifest in the README', () => {
  const readme = readFileSync('README.md', 'utf8');
  const block = /## Kubernetes\n[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const documents = parseAllDocuments(block).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as { kind: string; metadata: { name: string }; spec?: any; stringData?: Record<string, string>; data?: Record<string, string> };
  });
  const byKind = (kind: string) => documents.filter((d) => d.kind === kind);

  it('declares a Secret, a ConfigMap, Deployments for serve and worker, and a Service', () => {
    expect(documents.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Secret/shipgate', 'ConfigMap/shipgate-config', 'Deployment/shipgate-serve', 'Service/shipgate', 'Deployment/shipgate-worker']);
    expect(Object.keys(byKind('Secret')[0]!.stringData!)).toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN', 'SHIPGATE_AUDIT_KEY', 'REDIS_URL']));
    expect(Object.keys(byKind('ConfigMap')[0]!.data!)).toEqual(['shipgate.yml', 'production.yml']);
  });

  it.each([
    ['shipgate-serve', 'serve', 3000],
    ['shipgate-worker', 'worker', 3001],
  ])('%s runs %s with the Secret, the configuration at /config, and probes on /healthz and /readyz', (name, role, port) => {
    const deployment = byKind('Deployment').find((d) => d.metadata.name === name)!;
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.args).toEqual([role]);
    expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'shipgate' } }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.volumeMounts).toEqual([{ name: 'config', mountPath: '/config', readOnly: true }]);
    const [volume] = deployment.spec.template.spec.volumes;
    expect(volume.configMap.name).toBe('shipgate-config');
    // Where the Dockerfile's SHIPGATE_CONFIG and SHIPGATE_CALENDARS look.
    expect(volume.configMap.items.map((i: { path: string }) => `/config/${i.path}`)).toEqual(['/config/shipgate.yml', '/config/calendars/production.yml']);
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });

  it('routes the Service to the serve pods', () => {
    const service = byKind('Service')[0]!;
    const serve = byKind('Deployment').find((d) => d.metadata.name === 'shipgate-serve')!;
    expect(service.spec.selector).toEqual(serve.spec.template.metadata.labels);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });
});
