// A workflow module: `duroxide run workflows.ts` serves it as a worker.
// Orchestrations are generators that yield durable tasks; activities do the work.
import type { ActivityContext, OrchestrationContext, WorkflowModule } from 'duroxide';

interface Order {
  id: string;
  amount: number;
}

export const activities = {
  Charge: async (ctx: ActivityContext, order: Order): Promise<string> => {
    ctx.traceInfo(`charging ${order.amount} for order ${order.id}`);
    return `receipt-${order.id}`;
  },
};

export const orchestrations = {
  // Waits up to a minute for an approval (an event), then charges the order (an activity).
  Checkout: function* (ctx: OrchestrationContext, order: Order) {
    ctx.setCustomStatus('waiting for approval');
    const first = yield ctx.race(ctx.waitForEvent('Approve'), ctx.scheduleTimer(60_000));
    if (first.index === 1) return { order: order.id, status: 'not approved within a minute' };
    ctx.setCustomStatus('charging');
    const receipt: string = yield ctx.scheduleActivity('Charge', order);
    return { order: order.id, status: 'charged', receipt };
  },
} satisfies WorkflowModule['orchestrations'];
