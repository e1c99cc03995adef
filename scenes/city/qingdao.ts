/**
 * Qingdao demo city: plausible real assets, emergency resources and field handlers (WGS84).
 *
 * Locations are approximate (good to a few hundred metres) and chosen so that each asset's
 * representative point — a Point, the first vertex of a LineString (the landward end for the bay
 * bridge), the first vertex of a Polygon — falls in the asset's district (tested against
 * scenes/geo/districts.ts). Figures in props are rounded public figures or plausible values.
 * Pure data; ids are stable and referenced by the fleet and drills.
 */
import type { Asset, DistrictCode, EmergencyResource, LngLat, SceneId } from '../domain';
import type { IncidentCategory } from '../catalogue';
import { DEFAULT_RULES } from '../catalogue';
import { RIVER_LEVEL_RULE_ID, riverLevelOverrides } from '../rule-overrides';
import type { RuleOverride } from '../rule-overrides';

/** Metres per degree of latitude (spherical Earth). */
const METERS_PER_DEG_LAT = 111_195;

/** An asset located at one point. */
export function pointAsset(
  id: string,
  kind: Asset['kind'],
  scene: SceneId,
  name: string,
  nameEn: string,
  district: DistrictCode,
  at: LngLat,
  props: Asset['props'] = {},
): Asset {
  return {
    id,
    kind,
    scene,
    name,
    nameEn,
    district,
    geometry: { type: 'Point', coordinates: at },
    props,
  };
}

/** An asset along a line (bridge deck, river reach, pipe). */
export function lineAsset(
  id: string,
  kind: Asset['kind'],
  scene: SceneId,
  name: string,
  nameEn: string,
  district: DistrictCode,
  coords: LngLat[],
  props: Asset['props'] = {},
): Asset {
  return {
    id,
    kind,
    scene,
    name,
    nameEn,
    district,
    geometry: { type: 'LineString', coordinates: coords },
    props,
  };
}

/** A closed axis-aligned rectangle of widthM × heightM metres centred on `c`, slightly rounded. */
function rectangle(c: LngLat, widthM: number, heightM: number): LngLat[][] {
  const dLat = heightM / 2 / METERS_PER_DEG_LAT;
  const dLng = widthM / 2 / (METERS_PER_DEG_LAT * Math.cos((c[1] * Math.PI) / 180));
  const r = (v: number) => Math.round(v * 1e5) / 1e5;
  const sw: LngLat = [r(c[0] - dLng), r(c[1] - dLat)];
  return [[sw, [r(c[0] + dLng), r(c[1] - dLat)], [r(c[0] + dLng), r(c[1] + dLat)], [r(c[0] - dLng), r(c[1] + dLat)], sw]];
}

// ---------------------------------------------------------------------------------------------
// Bridges (路桥)

const BRIDGES: Asset[] = [
  lineAsset(
    'bridge-jzwdq',
    'bridge',
    'bridge',
    '胶州湾大桥',
    'Jiaozhou Bay Bridge',
    '370213',
    // Licang landing (李村河口) → Hongdao interchange (红岛互通) → Huangdao landing (红石崖)
    [
      [120.362, 36.163],
      [120.33, 36.165],
      [120.29, 36.167],
      [120.245, 36.17],
      [120.2, 36.15],
      [120.16, 36.122],
      [120.13, 36.1],
    ],
    { lengthM: 36480, spans: 5127, lanes: 6, openedYear: 2011 },
  ),
  lineAsset(
    'bridge-hdlj',
    'bridge',
    'bridge',
    '海湾大桥红岛连接线',
    'Bay Bridge Hongdao Link',
    '370214',
    [
      [120.25, 36.205],
      [120.248, 36.19],
      [120.245, 36.17],
    ],
    { lengthM: 5600, spans: 180, lanes: 4, openedYear: 2011 },
  ),
  lineAsset(
    'bridge-hangan',
    'bridge',
    'bridge',
    '杭鞍快速路高架桥',
    'Hang-An Expressway Viaduct',
    '370203',
    [
      [120.331, 36.088],
      [120.355, 36.09],
      [120.38, 36.094],
      [120.405, 36.1],
    ],
    { lengthM: 7800, spans: 240, lanes: 6, openedYear: 2011 },
  ),
  lineAsset(
    'bridge-xinguan',
    'bridge',
    'bridge',
    '新冠高架路',
    'Xinguan Elevated Expressway',
    '370203',
    [
      [120.318, 36.081],
      [120.322, 36.1],
      [120.333, 36.122],
      [120.345, 36.142],
    ],
    { lengthM: 7900, spans: 260, lanes: 6, openedYear: 2013 },
  ),
  lineAsset(
    'bridge-chongqing',
    'bridge',
    'bridge',
    '重庆路高架桥',
    'Chongqing Road Viaduct',
    '370213',
    [
      [120.385, 36.155],
      [120.39, 36.18],
      [120.395, 36.205],
    ],
    { lengthM: 5500, spans: 170, lanes: 6, openedYear: 2019 },
  ),
  lineAsset(
    'bridge-daguhe',
    'bridge',
    'bridge',
    '大沽河特大桥',
    'Dagu River Grand Bridge',
    '370281',
    [
      [119.995, 36.32],
      [120.012, 36.321],
      [120.03, 36.322],
    ],
    { lengthM: 2700, spans: 90, lanes: 4, openedYear: 2007 },
  ),
];

// ---------------------------------------------------------------------------------------------
// Water (水务): rivers, reservoirs, underpasses, pipes, pump stations, water plants

/**
 * River gauge sections: levels above the local gauge datum, m. warningLevelM (警戒水位) and
 * guaranteeLevelM (保证水位) are plausible demo values, not the Qingdao water authority's figures;
 * each river's alarm ladder is derived from them (rule-overrides.ts riverLimits) and seeded as
 * asset overrides (QINGDAO_RULE_OVERRIDES), and the water scene's '超警戒河道' KPI reads the same levels.
 */
const RIVERS: Asset[] = [
  lineAsset(
    'river-licun',
    'river',
    'water',
    '李村河',
    'Licun River',
    '370213',
    [
      [120.46, 36.162],
      [120.43, 36.16],
      [120.405, 36.155],
      [120.385, 36.152],
      [120.365, 36.158],
      [120.35, 36.163],
    ],
    {
      lengthM: 17000,
      normalLevelM: 1.2,
      warningLevelM: 3.5,
      guaranteeLevelM: 4.8,
    },
  ),
  lineAsset(
    'river-zhangcun',
    'river',
    'water',
    '张村河',
    'Zhangcun River',
    '370212',
    [
      [120.5, 36.125],
      [120.47, 36.12],
      [120.44, 36.13],
      [120.415, 36.142],
      [120.4, 36.152],
    ],
    {
      lengthM: 14000,
      normalLevelM: 0.9,
      warningLevelM: 3.0,
      guaranteeLevelM: 4.2,
    },
  ),
  lineAsset(
    'river-moshui',
    'river',
    'water',
    '墨水河',
    'Moshui River',
    '370215',
    [
      [120.47, 36.4],
      [120.44, 36.37],
      [120.41, 36.335],
      [120.38, 36.3],
      [120.35, 36.275],
      [120.325, 36.26],
    ],
    {
      lengthM: 42000,
      normalLevelM: 1.0,
      warningLevelM: 3.5,
      guaranteeLevelM: 4.5,
    },
  ),
  lineAsset(
    'river-baisha',
    'river',
    'water',
    '白沙河',
    'Baisha River',
    '370212',
    [
      [120.56, 36.22],
      [120.52, 36.228],
      [120.48, 36.232],
      [120.44, 36.235],
      [120.4, 36.232],
      [120.365, 36.228],
    ],
    {
      lengthM: 33000,
      normalLevelM: 0.8,
      warningLevelM: 3.2,
      guaranteeLevelM: 4.5,
    },
  ),
  lineAsset(
    'river-dagu',
    'river',
    'water',
    '大沽河',
    'Dagu River',
    '370283',
    [
      [120.05, 36.6],
      [120.04, 36.52],
      [120.03, 36.45],
      [120.02, 36.38],
      [120.01, 36.32],
      [120.0, 36.25],
    ],
    {
      lengthM: 179000,
      normalLevelM: 1.5,
      warningLevelM: 4.5,
      guaranteeLevelM: 5.8,
    },
  ),
];

/** Reservoirs: levels above the local gauge datum, m; warning/guarantee levels are demo values (see RIVERS). */
const RESERVOIRS: Asset[] = [
  pointAsset('res-laoshan', 'reservoir', 'water', '崂山水库', 'Laoshan Reservoir', '370212', [120.555, 36.19], {
    capacityM3: 56_000_000,
    normalLevelM: 3.0,
    warningLevelM: 4.5,
    guaranteeLevelM: 5.8,
  }),
  pointAsset('res-jihongtan', 'reservoir', 'water', '棘洪滩水库', 'Jihongtan Reservoir', '370214', [120.25, 36.34], {
    capacityM3: 146_000_000,
    normalLevelM: 3.2,
    warningLevelM: 4.5,
    guaranteeLevelM: 5.8,
  }),
];

/** Underpasses that flood in heavy rain (积水点); depth limits live in the rules. */
const UNDERPASSES: Asset[] = (
  [
    ['uph-shandonglu', '山东路下穿', 'Shandong Rd underpass', '370203', [120.383, 36.092]],
    ['uph-fuzhoulu', '福州路下穿', 'Fuzhou Rd underpass', '370202', [120.395, 36.088]],
    ['uph-hangan', '杭鞍高架下穿', 'Hang-An Viaduct underpass', '370203', [120.363, 36.092]],
    ['uph-yanjilu', '延吉路下穿', 'Yanji Rd underpass', '370203', [120.37, 36.092]],
    ['uph-siliu', '四流南路下穿', 'Siliu S Rd underpass', '370203', [120.345, 36.115]],
    ['uph-heilongjiang', '黑龙江中路下穿', 'Heilongjiang Rd underpass', '370213', [120.412, 36.15]],
    ['uph-haierlu', '海尔路下穿', 'Haier Rd underpass', '370212', [120.445, 36.115]],
    ['uph-zhengyang', '正阳路下穿', 'Zhengyang Rd underpass', '370214', [120.39, 36.305]],
    ['uph-changjiang', '长江路下穿', 'Changjiang Rd underpass', '370211', [120.19, 35.965]],
  ] as const
).map(([id, name, nameEn, district, at]) =>
  pointAsset(id, 'underpass', 'water', name, nameEn, district, [...at], {
    lowestPointM: -4.5,
  }),
);

/** Water mains (供水管段): short segments in the urban districts. */
const PIPE_SEGMENTS: Asset[] = (
  [
    [
      'pipe-01',
      '香港中路供水干管',
      'Hong Kong Mid Rd main',
      '370202',
      [
        [120.37, 36.066],
        [120.385, 36.067],
        [120.4, 36.068],
      ],
      800,
    ],
    [
      'pipe-02',
      '东海西路供水管',
      'Donghai W Rd main',
      '370202',
      [
        [120.385, 36.058],
        [120.4, 36.059],
        [120.415, 36.062],
      ],
      600,
    ],
    [
      'pipe-03',
      '延安三路供水管',
      "Yan'an 3rd Rd main",
      '370202',
      [
        [120.345, 36.068],
        [120.355, 36.075],
      ],
      400,
    ],
    [
      'pipe-04',
      '南京路供水干管',
      'Nanjing Rd main',
      '370202',
      [
        [120.39, 36.072],
        [120.388, 36.085],
      ],
      600,
    ],
    [
      'pipe-05',
      '台东一路供水管',
      'Taidong 1st Rd main',
      '370203',
      [
        [120.35, 36.087],
        [120.358, 36.09],
      ],
      300,
    ],
    [
      'pipe-06',
      '辽宁路供水管',
      'Liaoning Rd main',
      '370203',
      [
        [120.335, 36.076],
        [120.35, 36.082],
      ],
      400,
    ],
    [
      'pipe-07',
      '重庆南路供水干管',
      'Chongqing S Rd main',
      '370203',
      [
        [120.375, 36.1],
        [120.378, 36.115],
        [120.382, 36.13],
      ],
      1000,
    ],
    [
      'pipe-08',
      '敦化路供水管',
      'Dunhua Rd main',
      '370203',
      [
        [120.385, 36.098],
        [120.395, 36.105],
      ],
      500,
    ],
    [
      'pipe-09',
      '四流中路供水管',
      'Siliu Mid Rd main',
      '370203',
      [
        [120.35, 36.125],
        [120.357, 36.14],
      ],
      600,
    ],
    [
      'pipe-10',
      '黑龙江中路供水干管',
      'Heilongjiang Mid Rd main',
      '370213',
      [
        [120.405, 36.145],
        [120.415, 36.165],
        [120.42, 36.18],
      ],
      1200,
    ],
    [
      'pipe-11',
      '九水路供水管',
      'Jiushui Rd main',
      '370213',
      [
        [120.4, 36.17],
        [120.425, 36.172],
      ],
      600,
    ],
    [
      'pipe-12',
      '京口路供水管',
      'Jingkou Rd main',
      '370213',
      [
        [120.375, 36.16],
        [120.385, 36.17],
      ],
      400,
    ],
    [
      'pipe-13',
      '香港东路供水干管',
      'Hong Kong E Rd main',
      '370212',
      [
        [120.43, 36.075],
        [120.45, 36.08],
        [120.465, 36.09],
      ],
      800,
    ],
    [
      'pipe-14',
      '海尔路供水干管',
      'Haier Rd main',
      '370212',
      [
        [120.44, 36.1],
        [120.445, 36.12],
      ],
      1000,
    ],
    [
      'pipe-15',
      '株洲路供水管',
      'Zhuzhou Rd main',
      '370212',
      [
        [120.45, 36.11],
        [120.47, 36.115],
      ],
      500,
    ],
    [
      'pipe-16',
      '正阳路供水干管',
      'Zhengyang Rd main',
      '370214',
      [
        [120.37, 36.305],
        [120.39, 36.305],
        [120.41, 36.306],
      ],
      800,
    ],
    [
      'pipe-17',
      '春阳路供水管',
      'Chunyang Rd main',
      '370214',
      [
        [120.35, 36.29],
        [120.37, 36.29],
      ],
      500,
    ],
    [
      'pipe-18',
      '长江中路供水干管',
      'Changjiang Mid Rd main',
      '370211',
      [
        [120.17, 35.963],
        [120.19, 35.965],
        [120.21, 35.967],
      ],
      800,
    ],
    [
      'pipe-19',
      '井冈山路供水管',
      'Jinggangshan Rd main',
      '370211',
      [
        [120.2, 35.955],
        [120.205, 35.975],
      ],
      600,
    ],
    [
      'pipe-20',
      '江山路供水管',
      'Jiangshan Rd main',
      '370211',
      [
        [120.16, 35.99],
        [120.165, 36.01],
      ],
      500,
    ],
  ] as const
).map(([id, name, nameEn, district, coords, diameterMm]) =>
  lineAsset(
    id,
    'pipe-segment',
    'water',
    name,
    nameEn,
    district,
    coords.map(([lng, lat]) => [lng, lat] as LngLat),
    { diameterMm, nominalPressureMPa: 0.35 },
  ),
);

const PUMP_STATIONS: Asset[] = (
  [
    ['pump-haibohe', '海泊河泵站', 'Haibo River pump station', '370203', [120.338, 36.095], 12000],
    ['pump-tuandao', '团岛泵站', 'Tuandao pump station', '370202', [120.302, 36.053], 8000],
    ['pump-licunhe', '李村河泵站', 'Licun River pump station', '370213', [120.37, 36.158], 15000],
    ['pump-loushan', '楼山泵站', 'Loushan pump station', '370213', [120.39, 36.2], 9000],
    ['pump-maidao', '麦岛泵站', 'Maidao pump station', '370212', [120.43, 36.07], 6000],
    ['pump-shazikou', '沙子口泵站', 'Shazikou pump station', '370212', [120.545, 36.11], 5000],
    ['pump-loushanhe', '娄山河泵站', 'Loushan River pump station', '370214', [120.355, 36.255], 10000],
    ['pump-chengyang', '城阳污水泵站', 'Chengyang pump station', '370214', [120.375, 36.285], 8000],
    ['pump-huangdao', '黄岛泵站', 'Huangdao pump station', '370211', [120.2, 35.975], 9000],
    ['pump-xuejiadao', '薛家岛泵站', 'Xuejiadao pump station', '370211', [120.245, 35.99], 6000],
  ] as const
).map(([id, name, nameEn, district, at, capacityM3h]) =>
  pointAsset(id, 'pump-station', 'water', name, nameEn, district, [...at], {
    capacityM3h,
  }),
);

const WATER_PLANTS: Asset[] = (
  [
    ['plant-baishahe', '白沙河水厂', 'Baisha River water plant', '370214', [120.405, 36.24], 360000],
    ['plant-xianjiazhai', '仙家寨水厂', 'Xianjiazhai water plant', '370214', [120.345, 36.305], 500000],
    ['plant-lsw', '崂山水厂', 'Laoshan water plant', '370212', [120.475, 36.13], 200000],
  ] as const
).map(([id, name, nameEn, district, at, capacityM3d]) =>
  pointAsset(id, 'water-plant', 'water', name, nameEn, district, [...at], {
    capacityM3d,
  }),
);

// ---------------------------------------------------------------------------------------------
// Emergency (城市生命线): gas pipe wells

const GAS_WELLS: Asset[] = (
  [
    ['370202', [120.36, 36.065], '香港西路'],
    ['370202', [120.378, 36.064], '香港中路'],
    ['370202', [120.395, 36.068], '东海西路'],
    ['370202', [120.41, 36.072], '燕儿岛路'],
    ['370202', [120.35, 36.07], '延安三路'],
    ['370202', [120.33, 36.065], '中山路'],
    ['370203', [120.345, 36.085], '台东八路'],
    ['370203', [120.36, 36.095], '辽宁路'],
    ['370203', [120.375, 36.105], '重庆南路'],
    ['370203', [120.39, 36.1], '敦化路'],
    ['370203', [120.35, 36.12], '四流中路'],
    ['370203', [120.365, 36.13], '瑞昌路'],
    ['370213', [120.4, 36.16], '九水东路'],
    ['370213', [120.415, 36.17], '黑龙江中路'],
    ['370213', [120.39, 36.18], '京口路'],
    ['370213', [120.43, 36.15], '东李'],
    ['370213', [120.38, 36.19], '楼山后'],
    ['370212', [120.44, 36.09], '香港东路'],
    ['370212', [120.46, 36.1], '同安路'],
    ['370212', [120.47, 36.115], '株洲路'],
    ['370212', [120.49, 36.12], '松岭路'],
    ['370212', [120.43, 36.11], '海尔路'],
    ['370214', [120.37, 36.3], '正阳中路'],
    ['370214', [120.39, 36.31], '长城路'],
    ['370214', [120.35, 36.285], '流亭'],
    ['370214', [120.41, 36.29], '夏庄'],
    ['370211', [120.18, 35.96], '长江中路'],
    ['370211', [120.2, 35.97], '井冈山路'],
    ['370211', [120.22, 35.98], '嘉陵江路'],
    ['370211', [120.16, 35.95], '峨眉山路'],
  ] as const
).map(([district, at, road], i) => {
  const n = String(i + 1).padStart(3, '0');
  return pointAsset(`well-w${n}`, 'pipe-well', 'emergency', `燃气阀井 W${n}（${road}）`, `Gas valve well W${n}`, district, [...at], {
    depthM: 2.5,
    medium: 'natural-gas',
  });
});

// ---------------------------------------------------------------------------------------------
// Communities (社区)

/** Footprint of a demo community polygon, m. */
const COMMUNITY_WIDTH_M = 400;
const COMMUNITY_HEIGHT_M = 300;

const COMMUNITIES: Asset[] = (
  [
    ['comm-badaguan', '八大关社区', 'Badaguan', '370202', [120.355, 36.058], 2100, 780],
    ['comm-zhanshan', '湛山社区', 'Zhanshan', '370202', [120.37, 36.062], 3200, 960],
    ['comm-jiangsulu', '江苏路社区', 'Jiangsu Road', '370202', [120.33, 36.07], 2800, 1100],
    ['comm-jinmenlu', '金门路社区', 'Jinmen Road', '370202', [120.385, 36.072], 4100, 1020],
    ['comm-xianggang', '香港中路社区', 'Hong Kong Mid Road', '370202', [120.4, 36.066], 3600, 720],
    ['comm-taidong', '台东社区', 'Taidong', '370203', [120.352, 36.088], 5200, 1460],
    ['comm-dengzhoulu', '登州路社区', 'Dengzhou Road', '370203', [120.345, 36.079], 3100, 990],
    ['comm-dunhualu', '敦化路社区', 'Dunhua Road', '370203', [120.392, 36.102], 4500, 1080],
    ['comm-liaoyuanlu', '辽源路社区', 'Liaoyuan Road', '370203', [120.375, 36.11], 3900, 900],
    ['comm-shuiqinggou', '水清沟社区', 'Shuiqinggou', '370203', [120.355, 36.125], 4800, 1350],
    ['comm-jiushuilu', '九水路社区', 'Jiushui Road', '370213', [120.41, 36.168], 4200, 1010],
    ['comm-cangkou', '沧口社区', 'Cangkou', '370213', [120.375, 36.178], 3800, 1240],
    ['comm-hushanlu', '虎山路社区', 'Hushan Road', '370213', [120.42, 36.155], 3300, 860],
    ['comm-loushanhou', '楼山后社区', 'Loushanhou', '370213', [120.385, 36.195], 2900, 640],
    ['comm-maidao', '麦岛社区', 'Maidao', '370212', [120.435, 36.075], 3500, 770],
    ['comm-shilaoren', '石老人社区', 'Shilaoren', '370212', [120.475, 36.095], 2600, 520],
    ['comm-zhangcun', '张村社区', 'Zhangcun', '370212', [120.465, 36.123], 3000, 690],
    ['comm-zhuzhoulu', '株洲路社区', 'Zhuzhou Road', '370212', [120.452, 36.108], 2700, 480],
    ['comm-zhengyang', '正阳路社区', 'Zhengyang Road', '370214', [120.385, 36.303], 4600, 920],
    ['comm-chengyang', '城阳社区', 'Chengyang', '370214', [120.4, 36.31], 3700, 810],
    ['comm-liuting', '流亭社区', 'Liuting', '370214', [120.36, 36.27], 2500, 560],
    ['comm-changjiang', '长江路社区', 'Changjiang Road', '370211', [120.19, 35.962], 4400, 880],
    ['comm-xinan', '辛安社区', "Xin'an", '370211', [120.18, 35.995], 3900, 700],
    ['comm-xuejiadao', '薛家岛社区', 'Xuejiadao', '370211', [120.24, 35.985], 2800, 560],
    ['comm-zhuhailu', '珠海路社区', 'Zhuhai Road', '370211', [120.205, 35.955], 3300, 740],
  ] as const
).map(([id, name, nameEn, district, c, households, elderly]) => ({
  id,
  kind: 'community' as const,
  scene: 'community' as const,
  name,
  nameEn,
  district,
  geometry: {
    type: 'Polygon' as const,
    coordinates: rectangle([...c], COMMUNITY_WIDTH_M, COMMUNITY_HEIGHT_M),
  },
  props: { households, elderly },
}));

/** Every demo asset, grouped by kind in a fixed order (the fleet relies on this order). */
export const QINGDAO_ASSETS: Asset[] = [
  ...BRIDGES,
  ...RIVERS,
  ...RESERVOIRS,
  ...UNDERPASSES,
  ...PIPE_SEGMENTS,
  ...PUMP_STATIONS,
  ...WATER_PLANTS,
  ...GAS_WELLS,
  ...COMMUNITIES,
];

/**
 * Seed overrides of the river-level rule: each river and reservoir alarms at its own warning and
 * guarantee levels instead of the city-wide default ladder. Written through the rule API like any
 * admin override (updatedBy 'seed').
 */
export const QINGDAO_RULE_OVERRIDES: RuleOverride[] = riverLevelOverrides(
  QINGDAO_ASSETS,
  DEFAULT_RULES.find((r) => r.id === RIVER_LEVEL_RULE_ID)!,
).overrides;

/** The point that decides an asset's district: the Point, the first vertex of a line or polygon. */
export function assetAnchor(a: Asset): LngLat {
  switch (a.geometry.type) {
    case 'Point':
      return a.geometry.coordinates;
    case 'LineString':
      return a.geometry.coordinates[0];
    case 'Polygon':
      return a.geometry.coordinates[0][0];
  }
}

// ---------------------------------------------------------------------------------------------
// Emergency resources (应急资源)

function resource(
  id: string,
  kind: EmergencyResource['kind'],
  name: string,
  nameEn: string,
  district: DistrictCode,
  location: LngLat,
  capacity: number,
  available: number,
): EmergencyResource {
  return { id, kind, name, nameEn, district, location, capacity, available };
}

export const QINGDAO_RESOURCES: EmergencyResource[] = [
  // rescue teams: capacity = members
  resource('team-fire-shinan', 'rescue-team', '市南消防救援站', 'Shinan fire rescue station', '370202', [120.385, 36.07], 45, 38),
  resource('team-fire-licang', 'rescue-team', '李沧消防救援站', 'Licang fire rescue station', '370213', [120.41, 36.16], 40, 34),
  resource('team-fire-huangdao', 'rescue-team', '黄岛消防救援站', 'Huangdao fire rescue station', '370211', [120.195, 35.97], 42, 36),
  resource('team-gas', 'rescue-team', '燃气抢险队', 'Gas emergency crew', '370203', [120.37, 36.1], 30, 24),
  resource('team-drainage', 'rescue-team', '排水应急队', 'Drainage emergency crew', '370203', [120.345, 36.11], 50, 42),
  resource('team-municipal', 'rescue-team', '市政抢修队', 'Municipal repair crew', '370212', [120.44, 36.1], 36, 30),
  resource('team-bridge', 'rescue-team', '桥梁养护中心', 'Bridge maintenance centre', '370213', [120.38, 36.165], 25, 20),
  resource('team-chengyang', 'rescue-team', '城阳综合应急救援队', 'Chengyang rescue team', '370214', [120.39, 36.3], 35, 30),
  // supply depots: capacity = supply units
  resource('depot-shibei', 'supply-depot', '市北应急物资储备库', 'Shibei emergency supply depot', '370203', [120.36, 36.12], 5000, 4200),
  resource('depot-licang', 'supply-depot', '李沧防汛物资仓库', 'Licang flood supply depot', '370213', [120.4, 36.19], 3000, 2600),
  resource('depot-laoshan', 'supply-depot', '崂山应急物资库', 'Laoshan supply depot', '370212', [120.47, 36.11], 2500, 2300),
  resource('depot-chengyang', 'supply-depot', '城阳应急物资中心', 'Chengyang supply centre', '370214', [120.38, 36.29], 6000, 5100),
  resource('depot-huangdao', 'supply-depot', '西海岸新区物资储备库', 'West Coast supply depot', '370211', [120.18, 35.98], 4500, 3900),
  resource('depot-jimo', 'supply-depot', '即墨应急物资库', 'Jimo supply depot', '370215', [120.45, 36.39], 3500, 3200),
  // shelters: capacity = people
  resource('shelter-wusi', 'shelter', '五四广场应急避难场所', 'May Fourth Square shelter', '370202', [120.385, 36.062], 8000, 8000),
  resource('shelter-zhongshan', 'shelter', '中山公园应急避难场所', 'Zhongshan Park shelter', '370202', [120.345, 36.065], 12000, 12000),
  resource('shelter-tiyuchang', 'shelter', '天泰体育场', 'Tiantai Stadium', '370202', [120.365, 36.07], 6000, 6000),
  resource('shelter-qdu', 'shelter', '青岛大学', 'Qingdao University', '370212', [120.425, 36.075], 10000, 10000),
  resource('shelter-licunpark', 'shelter', '李村公园', 'Licun Park', '370213', [120.425, 36.16], 9000, 9000),
  resource('shelter-shiyuan', 'shelter', '世园会园区', 'Expo Garden', '370213', [120.46, 36.185], 20000, 20000),
  resource('shelter-guoxin', 'shelter', '国信体育场', 'Guoxin Stadium', '370212', [120.44, 36.105], 15000, 15000),
  resource('shelter-laoshanschool', 'shelter', '崂山区实验学校', 'Laoshan Experimental School', '370212', [120.47, 36.11], 3000, 3000),
  resource('shelter-shijipark', 'shelter', '城阳世纪公园', 'Chengyang Century Park', '370214', [120.4, 36.3], 11000, 11000),
  resource('shelter-tangdaowan', 'shelter', '唐岛湾公园', 'Tangdao Bay Park', '370211', [120.19, 35.955], 14000, 14000),
  resource('shelter-huangdaoschool', 'shelter', '黄岛区第一中学', 'Huangdao No.1 Middle School', '370211', [120.2, 35.97], 4000, 4000),
  resource('shelter-jimo', 'shelter', '即墨体育中心', 'Jimo Sports Centre', '370215', [120.46, 36.385], 10000, 10000),
];

// ---------------------------------------------------------------------------------------------
// Field handlers (处置人员)

export interface DemoHandler {
  /** username, also the login */
  id: string;
  name: string;
  team: string;
  skills: IncidentCategory[];
  /** base location, WGS84 [lng, lat] */
  home: LngLat;
}

export const DEMO_HANDLERS: DemoHandler[] = [
  {
    id: 'handler1',
    name: '张伟',
    team: '市政抢修队',
    skills: ['pipe-burst', 'manhole', 'water-quality', 'device-fault'],
    home: [120.44, 36.1],
  },
  {
    id: 'handler2',
    name: '王芳',
    team: '排水应急队',
    skills: ['waterlogging', 'flood', 'manhole', 'pipe-burst', 'water-quality'],
    home: [120.345, 36.11],
  },
  {
    id: 'handler3',
    name: '李强',
    team: '燃气抢险队',
    skills: ['gas-leak', 'fire', 'device-fault'],
    home: [120.37, 36.1],
  },
  {
    id: 'handler4',
    name: '刘洋',
    team: '桥梁养护中心',
    skills: ['bridge-structure', 'bridge-overload', 'device-fault'],
    home: [120.38, 36.165],
  },
  {
    id: 'handler5',
    name: '陈静',
    team: '社区网格员（市南）',
    skills: ['elderly-care', 'fire-lane', 'elevator', 'ev-charger'],
    home: [120.37, 36.065],
  },
  {
    id: 'handler6',
    name: '杨磊',
    team: '消防救援站',
    skills: ['fire', 'gas-leak', 'elevator', 'ev-charger', 'flood'],
    home: [120.41, 36.16],
  },
  {
    id: 'handler7',
    name: '赵敏',
    team: '社区网格员（李沧）',
    skills: ['elderly-care', 'fire-lane', 'ev-charger'],
    home: [120.41, 36.17],
  },
  {
    id: 'handler8',
    name: '孙浩',
    team: '桥梁养护中心',
    skills: ['bridge-structure', 'bridge-overload', 'waterlogging', 'flood'],
    home: [120.2, 35.97],
  },
];
