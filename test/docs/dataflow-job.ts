import { Injectable } from '@nestjs/common';
import { ElasticDataflowJob, type DataflowJob, type ShardingContext } from 'nestjs-elastic-job';
import type { Pool } from 'pg';

interface Order {
  id: number;
  total: number;
}

@Injectable()
@ElasticDataflowJob({ name: 'settle-orders', cron: '0 */5 * * * ?', shardingTotalCount: 8, streamingProcess: true })
export class SettleOrders implements DataflowJob<Order> {
  constructor(private readonly db: Pool) {}

  async fetchData(context: ShardingContext): Promise<Order[]> {
    const { rows } = await this.db.query<Order>(
      'SELECT id, total FROM orders WHERE NOT settled AND id % $1 = $2 ORDER BY id LIMIT 100',
      [context.shardingTotalCount, context.shardingItem],
    );
    return rows;
  }

  async processData(_context: ShardingContext, orders: Order[]): Promise<void> {
    await this.db.query('UPDATE orders SET settled = true WHERE id = ANY($1)', [orders.map((order) => order.id)]);
  }
}
