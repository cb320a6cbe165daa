// The worker of the soak benchmark (bench/soak.py): a workflow module served
// by `duroxide run`, as a user's would be.
export const activities = {
  Step: async (ctx, x) => x + 1,
};

export const orchestrations = {
  // Two activities and a short timer: every kind of work a turn can wait for.
  Soak: function* (ctx, x) {
    x = yield ctx.scheduleActivity('Step', x);
    yield ctx.scheduleTimer(5);
    return yield ctx.scheduleActivity('Step', x);
  },
};
