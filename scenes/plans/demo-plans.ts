/**
 * The four demo contingency plans, one per drill (mock-devices/drills.ts), with plausible Qingdao
 * content. Level meanings follow the usual four-grade scheme of Chinese emergency plans; the
 * organisations are typical of a municipal 城市运行管理中心, not Qingdao's official roster. Each
 * plan's triggers match what its drill raises, so every drill proposes its plan.
 */
import type { ContingencyPlan } from './plan-schema';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const FLOOD_PLAN: ContingencyPlan = {
  id: 'plan-flood-rainstorm',
  name: '青岛市城区防汛（暴雨内涝）应急预案',
  nameEn: 'Qingdao urban flood and rainstorm waterlogging plan',
  hazard: 'flood-rainstorm',
  triggers: [
    { kind: 'area-warning', areaRuleIds: ['area.rainfall.district'], minLevel: 'red', minCount: 1, level: 'III' },
    { kind: 'incidents', category: 'waterlogging', minLevel: 'red', minCount: 2, level: 'III' },
    { kind: 'alerts', ruleIds: ['water.depth.threshold'], minLevel: 'red', minCount: 2, level: 'III' },
    { kind: 'water-over-guarantee', assetIds: [], level: 'II' },
    { kind: 'manual' },
  ],
  levels: [
    {
      level: 'I',
      meaning: '特别重大：市防指总指挥坐镇指挥，建议全市停课停工停业',
      meaningEn: 'Extraordinary: commander-in-chief in charge; city-wide suspension advised',
    },
    {
      level: 'II',
      meaning: '重大：市防指副总指挥指挥，河道超保证水位，组织沿河群众转移',
      meaningEn: 'Major: deputy commander in charge; rivers over guarantee level, riverside evacuation',
    },
    {
      level: 'III',
      meaning: '较大：市防办主任指挥，多区红色暴雨，下穿立交积水封闭',
      meaningEn: 'Serious: flood office director in charge; red rain in several districts, underpasses closed',
    },
    { level: 'IV', meaning: '一般：值班领导指挥，局部积水，加强巡查', meaningEn: 'General: duty leader in charge; local waterlogging, more patrols' },
  ],
  steps: [
    {
      id: 'notify-districts',
      title: '向各区防指发布预警并启动值守',
      titleEn: 'Warn district flood offices, staff the watch',
      responsible: '市防办值班员',
      expectedDurationMin: 10,
      fromLevel: 'IV',
    },
    {
      id: 'start-pumps',
      title: '启动低洼片区排涝泵站',
      titleEn: 'Start drainage pump stations in low-lying areas',
      responsible: '排水应急队',
      expectedDurationMin: 15,
      fromLevel: 'IV',
    },
    {
      id: 'close-underpasses',
      title: '封闭积水下穿立交并疏导交通',
      titleEn: 'Close flooded underpasses, divert traffic',
      responsible: '交警支队',
      expectedDurationMin: 30,
      fromLevel: 'III',
    },
    {
      id: 'river-patrol',
      title: '李村河、张村河沿岸巡堤查险',
      titleEn: 'Patrol the Licun and Zhangcun river banks',
      responsible: '市水务局河道处',
      expectedDurationMin: 60,
      fromLevel: 'III',
    },
    {
      id: 'evacuate-riverside',
      title: '转移沿河低洼地区群众',
      titleEn: 'Evacuate low-lying riverside residents',
      responsible: '区应急管理局',
      expectedDurationMin: 120,
      fromLevel: 'II',
    },
    {
      id: 'open-shelters',
      title: '开放应急避难场所并调拨物资',
      titleEn: 'Open shelters and move supplies',
      responsible: '区应急管理局',
      expectedDurationMin: 60,
      fromLevel: 'II',
    },
    {
      id: 'suspend-city',
      title: '报请市政府发布停课停工通知',
      titleEn: 'Ask the city government to suspend schools and work',
      responsible: '市防指',
      expectedDurationMin: 30,
      fromLevel: 'I',
    },
  ],
  resourceIds: ['team-drainage', 'team-municipal', 'depot-licang', 'depot-shibei', 'shelter-licunpark', 'shelter-zhongshan'],
  resourceNeeds: [
    { kind: 'rescue-team', count: 2, amountEach: 10, from: 'designated', fromLevel: 'IV' },
    { kind: 'supply-depot', count: 1, amountEach: 200, from: 'designated', fromLevel: 'IV' },
    // 开放应急避难场所 (step open-shelters): from level II, in the affected districts first
    { kind: 'shelter', count: 2, amountEach: 1000, from: 'area', fromLevel: 'II' },
  ],
  notify: { roles: ['officer', 'leader'], groups: ['市防汛抗旱指挥部', '市水务管理局', '市公安局交警支队'] },
  deviceCommands: [
    {
      target: { by: 'kind', deviceKind: 'pump-station', within: 'trigger-district' },
      name: 'start',
      fromLevel: 'IV',
      note: '启动受影响区的排涝泵站',
    },
  ],
  districts: [],
  autoStartLevel: 'I',
  coolDownMs: 2 * HOUR_MS,
};

export const BRIDGE_PLAN: ContingencyPlan = {
  id: 'plan-bridge-overload',
  name: '桥梁超限超载车辆应急处置预案',
  nameEn: 'Bridge overload response plan',
  hazard: 'bridge-overload',
  triggers: [
    { kind: 'alerts', ruleIds: ['bridge.overload.threshold'], minLevel: 'red', minCount: 1, level: 'IV' },
    { kind: 'alerts', ruleIds: ['bridge.strain.threshold', 'bridge.deflection.threshold'], minLevel: 'orange', minCount: 2, level: 'III' },
    { kind: 'manual' },
  ],
  levels: [
    {
      level: 'I',
      meaning: '特别重大：桥梁结构失稳风险，全桥封闭，市政府统一指挥',
      meaningEn: 'Extraordinary: structural failure risk, bridge closed, city government in charge',
    },
    {
      level: 'II',
      meaning: '重大：结构响应超红线，单向封闭，专家现场会商',
      meaningEn: 'Major: structural response over red line, one direction closed, experts on site',
    },
    {
      level: 'III',
      meaning: '较大：应变/挠度超限，限速限载，加密监测',
      meaningEn: 'Serious: strain/deflection over limit, speed and load limits, denser monitoring',
    },
    { level: 'IV', meaning: '一般：超载车辆过桥，拦截处罚，复核数据', meaningEn: 'General: overloaded vehicle crossing, intercept and check data' },
  ],
  steps: [
    {
      id: 'intercept-vehicle',
      title: '拦截超载车辆并依法处置',
      titleEn: 'Intercept the overloaded vehicle',
      responsible: '交通执法支队',
      expectedDurationMin: 20,
      fromLevel: 'IV',
    },
    {
      id: 'check-data',
      title: '复核称重与结构监测数据',
      titleEn: 'Check weigh-in-motion and structural data',
      responsible: '桥梁养护中心',
      expectedDurationMin: 30,
      fromLevel: 'IV',
    },
    {
      id: 'limit-traffic',
      title: '桥面限速限载，加密监测频率',
      titleEn: 'Limit speed and load, monitor more often',
      responsible: '路政管理部门',
      expectedDurationMin: 30,
      fromLevel: 'III',
    },
    {
      id: 'inspect-structure',
      title: '桥梁结构现场检测',
      titleEn: 'On-site structural inspection',
      responsible: '桥梁养护中心',
      expectedDurationMin: 120,
      fromLevel: 'III',
    },
    {
      id: 'expert-consult',
      title: '组织专家会商并评估通行',
      titleEn: 'Expert consultation on traffic',
      responsible: '市交通运输局',
      expectedDurationMin: 240,
      fromLevel: 'II',
    },
    {
      id: 'close-bridge',
      title: '全桥封闭并发布绕行公告',
      titleEn: 'Close the bridge and publish detours',
      responsible: '市公安局交警支队',
      expectedDurationMin: 30,
      fromLevel: 'I',
    },
  ],
  resourceIds: ['team-bridge', 'team-municipal'],
  resourceNeeds: [{ kind: 'rescue-team', count: 1, amountEach: 8, from: 'designated', fromLevel: 'III' }],
  notify: { roles: ['officer', 'leader'], groups: ['市交通运输局', '交通执法支队'] },
  deviceCommands: [],
  districts: [],
  coolDownMs: HOUR_MS,
};

export const GAS_PLAN: ContingencyPlan = {
  id: 'plan-gas-leak',
  name: '城镇燃气泄漏事故应急预案',
  nameEn: 'Urban gas leak response plan',
  hazard: 'gas-leak',
  triggers: [
    { kind: 'alerts', ruleIds: ['emergency.lel.threshold'], minLevel: 'red', minCount: 1, level: 'III' },
    { kind: 'incidents', category: 'gas-leak', minLevel: 'red', minCount: 1, level: 'III' },
    { kind: 'manual' },
  ],
  levels: [
    {
      level: 'I',
      meaning: '特别重大：发生爆炸或大面积泄漏，市政府统一指挥',
      meaningEn: 'Extraordinary: explosion or wide leak, city government in charge',
    },
    {
      level: 'II',
      meaning: '重大：泄漏扩散至多个井室，片区停气疏散',
      meaningEn: 'Major: leak spreading to several wells, area gas off and evacuated',
    },
    { level: 'III', meaning: '较大：单点浓度超爆炸下限20%，关阀警戒', meaningEn: 'Serious: one point over 20 % LEL, valves closed, cordon' },
    { level: 'IV', meaning: '一般：浓度异常，现场检测', meaningEn: 'General: abnormal reading, field check' },
  ],
  steps: [
    {
      id: 'cordon',
      title: '设置警戒区并禁止明火',
      titleEn: 'Cordon off, no open flames',
      responsible: '辖区派出所',
      expectedDurationMin: 15,
      fromLevel: 'IV',
    },
    {
      id: 'close-valves',
      title: '关闭上游阀门切断气源',
      titleEn: 'Close upstream valves',
      responsible: '燃气抢险队',
      expectedDurationMin: 30,
      fromLevel: 'III',
    },
    {
      id: 'evacuate',
      title: '疏散周边居民和商户',
      titleEn: 'Evacuate nearby residents and shops',
      responsible: '街道办事处',
      expectedDurationMin: 30,
      fromLevel: 'III',
    },
    {
      id: 'ventilate-detect',
      title: '通风并连续检测浓度',
      titleEn: 'Ventilate and measure continuously',
      responsible: '燃气抢险队',
      expectedDurationMin: 60,
      fromLevel: 'III',
    },
    {
      id: 'fire-standby',
      title: '消防力量现场待命',
      titleEn: 'Fire crew on standby',
      responsible: '消防救援支队',
      expectedDurationMin: 20,
      fromLevel: 'II',
    },
    {
      id: 'restore-supply',
      title: '抢修完成后恢复供气',
      titleEn: 'Restore gas after repair',
      responsible: '燃气公司',
      expectedDurationMin: 240,
      fromLevel: 'IV',
    },
  ],
  resourceIds: ['team-gas', 'team-fire-shinan', 'shelter-wusi'],
  resourceNeeds: [
    { kind: 'rescue-team', count: 1, amountEach: 10, from: 'designated', fromLevel: 'III' },
    { kind: 'shelter', count: 1, amountEach: 500, from: 'area', fromLevel: 'II' },
  ],
  notify: { roles: ['officer', 'leader'], groups: ['市城市管理局', '燃气公司调度中心'] },
  deviceCommands: [],
  districts: [],
  coolDownMs: HOUR_MS,
};

export const FIRE_PLAN: ContingencyPlan = {
  id: 'plan-community-fire',
  name: '社区火灾事故应急预案',
  nameEn: 'Community fire response plan',
  hazard: 'community-fire',
  triggers: [
    { kind: 'alerts', ruleIds: ['emergency.fire.event'], minLevel: 'red', minCount: 1, level: 'III' },
    {
      kind: 'alerts',
      ruleIds: ['community.smoke.event', 'emergency.fire.event', 'community.trapped.event'],
      minLevel: 'orange',
      minCount: 3,
      level: 'II',
    },
    { kind: 'incidents', category: 'fire', minLevel: 'red', minCount: 1, level: 'III' },
    { kind: 'manual' },
  ],
  levels: [
    {
      level: 'I',
      meaning: '特别重大：多栋建筑燃烧或群死群伤风险，市政府统一指挥',
      meaningEn: 'Extraordinary: several buildings or mass casualty risk',
    },
    { level: 'II', meaning: '重大：明火伴随人员被困，全力救援疏散', meaningEn: 'Major: open fire with people trapped, full rescue and evacuation' },
    { level: 'III', meaning: '较大：确认明火，消防出警，社区疏散', meaningEn: 'Serious: confirmed fire, brigade dispatched, community evacuated' },
    { level: 'IV', meaning: '一般：烟感报警，网格员现场核实', meaningEn: 'General: smoke alarm, grid worker checks on site' },
  ],
  steps: [
    {
      id: 'verify',
      title: '网格员现场核实火情',
      titleEn: 'Grid worker verifies on site',
      responsible: '社区网格员',
      expectedDurationMin: 5,
      fromLevel: 'IV',
    },
    {
      id: 'dispatch-brigade',
      title: '通知119消防出警',
      titleEn: 'Call out the fire brigade (119)',
      responsible: '消防救援支队',
      expectedDurationMin: 5,
      fromLevel: 'III',
    },
    {
      id: 'release-doors',
      title: '开启消防通道门禁，清理占道车辆',
      titleEn: 'Release fire-exit doors, clear the fire lane',
      responsible: '物业服务中心',
      expectedDurationMin: 5,
      fromLevel: 'III',
    },
    {
      id: 'evacuate',
      title: '组织楼内住户疏散',
      titleEn: 'Evacuate the building',
      responsible: '社区居委会',
      expectedDurationMin: 20,
      fromLevel: 'III',
    },
    {
      id: 'elevator-rescue',
      title: '电梯困人救援',
      titleEn: 'Rescue people trapped in the lift',
      responsible: '电梯维保单位',
      expectedDurationMin: 30,
      fromLevel: 'II',
    },
    {
      id: 'shelter',
      title: '受灾住户临时安置',
      titleEn: 'Shelter displaced residents',
      responsible: '街道办事处',
      expectedDurationMin: 120,
      fromLevel: 'II',
    },
  ],
  resourceIds: ['team-fire-shinan', 'team-fire-licang', 'team-fire-huangdao', 'shelter-wusi'],
  resourceNeeds: [
    { kind: 'rescue-team', count: 1, amountEach: 15, from: 'designated', fromLevel: 'III' },
    { kind: 'shelter', count: 1, amountEach: 300, from: 'area', fromLevel: 'II' },
  ],
  notify: { roles: ['officer', 'leader'], groups: ['消防救援支队', '街道办事处'] },
  deviceCommands: [
    {
      target: { by: 'kind', deviceKind: 'door-sensor', within: 'trigger-asset' },
      name: 'release',
      fromLevel: 'III',
      note: '开启起火小区的消防通道门禁',
    },
  ],
  districts: [],
  coolDownMs: HOUR_MS,
};

/** The demo plans, one per drill. */
export const DEMO_PLANS: readonly ContingencyPlan[] = [FLOOD_PLAN, BRIDGE_PLAN, GAS_PLAN, FIRE_PLAN];
