import { DEFAULT_SIZING, sizePostgres, sizeRedis, type PostgresRequirement, type RedisRequirement } from '../../src/cost/sizing-model.js';
import { prices } from './cost-fixtures.js';

const GIB = 1024 ** 3;
const none: PostgresRequirement = { peakCpuVcpu: 0, averageCpuVcpu: 0, ramGiB: 0, peakIops: 0, peakThroughputMiBps: 0, storedGB: 0, backupGB: 0 };
const saz = { multiAz: false, readReplicas: 0, instanceClasses: null };

describe('sizePostgres', () => {
  it('takes the cheapest class whose vCPU × target utilisation covers the peak', () => {
    const z = sizePostgres({ ...none, peakCpuVcpu: 2 }, prices, saz, DEFAULT_SIZING);
    // 2 vCPU classes top out at 1.2; the cheapest 4 vCPU class is db.m6g.xlarge ($0.318/h) ahead of db.r6g.xlarge ($0.45).
    expect(z.instance.class).toBe('db.m6g.xlarge');
    expect(z.feasible).toBe(true);
    expect(z.rejected.map((r) => r.class)).toContain('db.t4g.micro');
  });

  it('rejects a burstable class whose average CPU exceeds its baseline, even when the peak fits', () => {
    const z = sizePostgres({ ...none, peakCpuVcpu: 0.5, averageCpuVcpu: 0.2 }, prices, saz, DEFAULT_SIZING);
    // micro: 2 × 0.1 × 0.6 = 0.12 < 0.2; small/medium: 2 × 0.2 × 0.6 = 0.24 ≥ 0.2.
    expect(z.instance.class).toBe('db.t4g.small');
    expect(z.rejected[0]!.reason).toMatch(/burst baseline/);
  });

  it('needs RAM for recently written checkpoints', () => {
    expect(sizePostgres({ ...none, ramGiB: 3 }, prices, saz, DEFAULT_SIZING).instance.class).toBe('db.t4g.medium');
  });

  it('prices the largest class and flags it when nothing fits', () => {
    const z = sizePostgres({ ...none, peakCpuVcpu: 100 }, prices, saz, DEFAULT_SIZING);
    expect(z.feasible).toBe(false);
    expect(z.instance.class).toBe('db.r6g.4xlarge');
    expect(z.warnings.join()).toMatch(/understates/);
  });

  it('allocates stored ÷ (1 − free space), at least the gp3 minimum', () => {
    expect(sizePostgres({ ...none, storedGB: 100 }, prices, saz, DEFAULT_SIZING).allocatedGB).toBe(125);
    expect(sizePostgres({ ...none, storedGB: 1 }, prices, saz, DEFAULT_SIZING).allocatedGB).toBe(20);
  });

  it('grows a small volume to 400 GB for IOPS above 3,000 and buys IOPS above 12,000 at the AZ price', () => {
    const grown = sizePostgres({ ...none, storedGB: 50, peakIops: 5000 }, prices, saz, DEFAULT_SIZING);
    expect(grown.allocatedGB).toBe(400);
    expect(grown.extraIops).toBe(0);
    const extra = sizePostgres({ ...none, storedGB: 50, peakIops: 15000 }, prices, { ...saz, multiAz: true }, DEFAULT_SIZING);
    expect(extra.extraIops).toBe(3000);
    const line = extra.lines.find((l) => l.unit === 'IOPS-months')!;
    expect(line.quantity).toBe(3000);
    expect(line.price).toBe(prices.rds.gp3.extraIops.multiAz);
  });

  it('bills backup beyond 100 % of provisioned storage', () => {
    const z = sizePostgres({ ...none, storedGB: 80, backupGB: 150 }, prices, saz, DEFAULT_SIZING);
    expect(z.allocatedGB).toBe(100);
    expect(z.billableBackupGB).toBe(50);
  });

  it('adds read replicas as Single-AZ instances with their own storage', () => {
    const z = sizePostgres({ ...none, storedGB: 80 }, prices, { multiAz: true, readReplicas: 2, instanceClasses: null }, DEFAULT_SIZING);
    const replica = z.lines.find((l) => l.item.endsWith('read replica'))!;
    expect(replica.quantity).toBe(2 * prices.hoursPerMonth);
    expect(replica.price).toBe(z.instance.singleAz);
    expect(z.lines.find((l) => l.item === 'gp3 storage, read replicas')!.quantity).toBe(200);
  });

  it('honours an instanceClasses restriction', () => {
    expect(sizePostgres(none, prices, { ...saz, instanceClasses: ['db.r6g.large'] }, DEFAULT_SIZING).instance.class).toBe('db.r6g.large');
  });
});

describe('sizeRedis', () => {
  const empty: RedisRequirement = { datasetBytes: 0, averageStoredBytes: 0, peakCpuCores: 0, ecpuPerMonth: 0 };
  const dep = { engine: 'redis-oss' as const, deployment: 'nodes' as const, replicas: 0, nodeTypes: null };

  it('always buys at least one node', () => {
    const z = sizeRedis(empty, prices, dep, DEFAULT_SIZING);
    expect(z.node!.type).toBe('cache.t4g.micro');
    expect(z.nodes).toBe(1);
  });

  it('shards by memory after fragmentation and the reserve, choosing the cheapest node type', () => {
    // 10 GiB × 1.1 = 11 GiB; r6g.large holds 9.8 GiB usable → 2 shards ($0.412/h) vs t4g.medium 2.32 GiB → 5 shards ($0.325/h).
    const z = sizeRedis({ ...empty, datasetBytes: 10 * GIB }, prices, dep, DEFAULT_SIZING);
    expect(z.node!.type).toBe('cache.t4g.medium');
    expect(z.shards).toBe(5);
    const withReplica = sizeRedis({ ...empty, datasetBytes: 10 * GIB }, prices, { ...dep, replicas: 1 }, DEFAULT_SIZING);
    expect(withReplica.nodes).toBe(2 * withReplica.shards);
    expect(withReplica.lines[0]!.quantity).toBe(prices.hoursPerMonth * withReplica.nodes);
  });

  it('shards by CPU when one main thread cannot serve the peak', () => {
    const z = sizeRedis({ ...empty, peakCpuCores: 1.2 }, prices, dep, DEFAULT_SIZING);
    expect(z.shards).toBe(3); // 1.2 ÷ (0.5 target × 1.0 speed)
    expect(z.bindingConstraint).toMatch(/CPU/);
  });

  it('meters Serverless storage at its minimum and ECPUs per million', () => {
    const z = sizeRedis({ ...empty, averageStoredBytes: 1e6, ecpuPerMonth: 5e6 }, prices, { ...dep, engine: 'valkey', deployment: 'serverless' }, DEFAULT_SIZING);
    expect(z.deployment).toBe('serverless');
    expect(z.lines[0]!.quantity).toBeCloseTo(prices.elasticache.serverless.valkey.minimumGB * prices.hoursPerMonth, 9);
    expect(z.lines[1]!.quantity).toBe(5);
    expect(z.alternative?.deployment).toBe('nodes');
  });

  it('"cheapest" picks whichever of nodes and Serverless costs less', () => {
    const tiny = sizeRedis({ ...empty, averageStoredBytes: 1e6 }, prices, { ...dep, engine: 'valkey', deployment: 'cheapest' }, DEFAULT_SIZING);
    expect(tiny.deployment).toBe('serverless'); // 0.1 GB × $0.084 × 730 ≈ $6 < t4g.micro $9.34
    const big = sizeRedis({ ...empty, datasetBytes: 20 * GIB, averageStoredBytes: 20 * GIB }, prices, { ...dep, deployment: 'cheapest' }, DEFAULT_SIZING);
    expect(big.deployment).toBe('nodes');
  });
});
