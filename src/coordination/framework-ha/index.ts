/** HA for frameworks (`agora apps --zk`, `agora jobs --zk`, `agora lb --apps zk://`); see ADR 0043. */
export { startHaNode, type HaNodeOptions, type LeaderInstance, type RunningHaNode } from './ha-node.js';
export { FrameworkLeadership, electionUrl, parseMember, type FrameworkMember, type FrameworkLeadershipOptions } from './framework-leadership.js';
export { forward, isLoop, answer, type ForwardOptions } from './forward.js';
