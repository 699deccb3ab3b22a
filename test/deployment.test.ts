import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES } from '../core/config.ts';

// No Docker engine or cluster here: the deployment files are checked statically.

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string;
  volumes?: string[];
  ports?: string[];
  container_name?: string;
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const known = new Set(CONFIG_VARIABLES);
const commandFile = (command: string[] | undefined) => command?.find((part) => part.endsWith('.ts'));

test('docker-compose.yml: Temporal on Postgres, its Web UI, Postgres, the API + watcher and a scalable worker, wired together', (t) => {
  const s = compose.services;
  t.deepEqual(Object.keys(s).sort(), ['api', 'postgres', 'temporal', 'temporal-ui', 'worker']);
  t.is(s.temporal!.environment!.DB, 'postgres12');
  t.is(s.temporal!.environment!.POSTGRES_SEEDS, 'postgres');
  t.is(s['temporal-ui']!.environment!.TEMPORAL_ADDRESS, 'temporal:7233');

  const pg = s.postgres!.environment!;
  for (const name of ['api', 'worker']) {
    const svc = s[name]!;
    t.is(svc.build, '.', name);
    t.is(svc.env_file, '.env', name);
    t.true(svc.volumes?.includes('./data:/data'), `${name} shares ./data`);
    const env = svc.environment!;
    t.is(env.TEMPORAL_ADDRESS, 'temporal:7233', name);
    t.is(env.DATABASE_URL, `postgres://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`, name);
    for (const variable of Object.keys(env)) t.true(known.has(variable), `${name}: ${variable} is a setting the platform reads`);
    const file = commandFile(svc.command);
    t.truthy(file && existsSync(file), `${name} runs ${file}`);
    t.like(svc.depends_on, { postgres: { condition: 'service_healthy' }, temporal: { condition: 'service_healthy' } });
  }
  t.deepEqual(s.api!.command, ['node_modules/.bin/tsx', 'runtime/start.ts', 'api']);
  t.true(s.api!.ports!.includes('8000:8000'));
  // Scalable: no fixed name or host port, more than one by default.
  t.is(s.worker!.container_name, undefined);
  t.is(s.worker!.ports, undefined);
  t.true((s.worker!.deploy?.replicas ?? 1) > 1);
  t.is(s.worker!.environment!.WORKER_HEALTH_PORT, '8001');
  t.true(s.worker!.healthcheck!.test.join(' ').includes('8001'));
});

test('Dockerfile: multi-stage, non-root, health check on /health, runs the API by default', (t) => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  t.true((dockerfile.match(/^FROM /gm) ?? []).length >= 2);
  t.regex(dockerfile, /^COPY --from=deps /m);
  t.regex(dockerfile, /^USER node$/m);
  t.regex(dockerfile, /^HEALTHCHECK .*\n?.*\/health/m);
  t.regex(dockerfile, /^CMD \["node_modules\/.bin\/tsx", "runtime\/start.ts", "api"\]$/m);
  t.regex(dockerfile, /postgresql-client/, 'pg_dump for backups');
  // Every source folder the processes import is copied in.
  for (const folder of ['core', 'workflows', 'activities', 'store', 'server', 'watcher', 'cli', 'runtime', 'bin']) {
    t.regex(dockerfile, new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'), folder);
  }
  t.regex(readFileSync('.dockerignore', 'utf8'), /^node_modules$/m);
});

interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: { securityContext?: { runAsNonRoot?: boolean }; containers: K8sContainer[]; volumes?: { persistentVolumeClaim?: { claimName: string } }[] } };
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  resources?: string[];
}
interface K8sContainer {
  command: string[];
  env?: { name: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}

test('deploy/kubernetes: worker Deployment (replicas > 1), API Deployment + Service, probes, Secret for tokens', (t) => {
  const dir = 'deploy/kubernetes';
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => ({ file: f, ...(d.toJS() as K8sObject) })));
  const byName = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  const kustomization = objects.find((o) => o.kind === 'Kustomization')!;
  t.deepEqual([...kustomization.resources!].sort(), objects.filter((o) => o.kind !== 'Kustomization').map((o) => o.file).sort(), 'kustomization lists every manifest');

  const worker = byName('Deployment', 'bulk-api-trigger-worker')!;
  const api = byName('Deployment', 'bulk-api-trigger-api')!;
  const service = byName('Service', 'bulk-api-trigger')!;
  const secret = byName('Secret', 'bulk-api-trigger')!;
  const config = byName('ConfigMap', 'bulk-api-trigger')!;
  t.true(worker.spec!.replicas! > 1);
  t.deepEqual(service.spec!.selector, api.spec!.template!.metadata.labels);
  t.truthy(secret.stringData!.WEBHOOK_AUTH_TOKEN);
  t.truthy(secret.stringData!.DATABASE_URL);
  for (const deployment of [worker, api]) {
    const pod = deployment.spec!.template!;
    t.deepEqual(deployment.spec!.selector!.matchLabels, pod.metadata.labels);
    t.true(pod.spec.securityContext?.runAsNonRoot);
    const [container] = pod.spec.containers;
    t.truthy(container!.readinessProbe, `${deployment.metadata.name} readiness`);
    t.truthy(container!.livenessProbe, `${deployment.metadata.name} liveness`);
    t.deepEqual(container!.envFrom, [{ configMapRef: { name: config.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
    const file = commandFile(container!.command);
    t.truthy(file && existsSync(file), `${deployment.metadata.name} runs ${file}`);
    t.is(pod.spec.volumes?.[0]?.persistentVolumeClaim?.claimName, byName('PersistentVolumeClaim', 'bulk-api-trigger-data')!.metadata.name);
    for (const e of container!.env ?? []) t.true(known.has(e.name), e.name);
  }
  for (const variable of [...Object.keys(config.data!), ...Object.keys(secret.stringData!)]) t.true(known.has(variable), `${variable} is a setting the platform reads`);
});

test('every setting is documented in .env.sample and in the README configuration table', (t) => {
  const sample = readFileSync('.env.sample', 'utf8');
  const readme = readFileSync('README.md', 'utf8');
  for (const variable of CONFIG_VARIABLES) {
    t.regex(sample, new RegExp(`^#? ?${variable}=`, 'm'), `.env.sample: ${variable}`);
    t.true(readme.includes(`| \`${variable}\` |`), `README: ${variable}`);
  }
});
