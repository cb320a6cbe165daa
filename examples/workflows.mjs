// A workflow module: no provider, no runtime, just exports. Serve it with
//   duroxide run examples/workflows.mjs
// then drive it from another shell:
//   duroxide start Hello --input '"Ann"' --id hello-1 && duroxide wait hello-1
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const activities = {
  Greet: async (ctx, name) => `Hello, ${name}!`,
  Resize: async (ctx, image) => ({ image, width: 320 }),
  BookFlight: async (ctx, trip) => `flight-${trip.to}`,
  BookHotel: async (ctx, trip) => {
    if (trip.nights > 14) throw new Error(`no hotel in ${trip.to} takes ${trip.nights} nights`);
    return `hotel-${trip.to}`;
  },
  CancelFlight: async (ctx, booking) => `cancelled ${booking}`,
  CheckHealth: async (ctx, url) => {
    await sleep(10);
    return { url, healthy: true };
  },
};

export const orchestrations = {
  Hello: function* (ctx, name) {
    return yield ctx.scheduleActivity('Greet', name);
  },

  // Fan-out/fan-in: every image in parallel, results in input order.
  Thumbnails: function* (ctx, images) {
    const results = yield ctx.all(images.map((image) => ctx.scheduleActivity('Resize', image)));
    return results.map((r) => r.ok ?? { error: r.err });
  },

  // Human approval with a deadline.
  Approval: function* (ctx, request) {
    ctx.setCustomStatus(`waiting for approval of ${request.item}`);
    const winner = yield ctx.race(ctx.waitForEvent('approve'), ctx.scheduleTimer(request.timeoutMs ?? 60_000));
    if (winner.index === 1) return { item: request.item, approved: false, reason: 'timed out' };
    return { item: request.item, approved: true, by: winner.value.by };
  },

  // Saga: undo what was done when a later step fails.
  Trip: function* (ctx, trip) {
    const flight = yield ctx.scheduleActivity('BookFlight', trip);
    try {
      const hotel = yield ctx.scheduleActivity('BookHotel', trip);
      return { flight, hotel };
    } catch (e) {
      const undone = yield ctx.scheduleActivity('CancelFlight', flight);
      return { failed: e.message, compensation: undone };
    }
  },

  // Eternal monitor: check, sleep, continue as new (history stays short).
  Monitor: function* (ctx, state) {
    const { url, every = 1000, checks = 0, stopAfter = Infinity } = state;
    const health = yield ctx.scheduleActivity('CheckHealth', url);
    ctx.setCustomStatus(`check ${checks + 1}: ${health.healthy ? 'healthy' : 'DOWN'}`);
    if (checks + 1 >= stopAfter) return { checks: checks + 1 };
    yield ctx.scheduleTimer(every);
    yield ctx.continueAsNew({ ...state, checks: checks + 1 });
  },
};
