import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_SENDER } from '../../scenes/exports/cap';
import { ConfigError, loadConfig } from '../config';
import { capSenderFromEnv } from './cap-sender-config';

const TEST_ENV = { NODE_ENV: 'test' };

describe('the CAP sender from the environment', () => {
  it('is the Qingdao demo sender when nothing is set', () => {
    expect(loadConfig(TEST_ENV).capSender).toEqual(DEFAULT_CAP_SENDER);
  });

  it('takes the sender, both names and the identifier prefix', () => {
    expect(
      loadConfig({
        ...TEST_ENV,
        IOC_CAP_SENDER: 'ioc@yantai.example',
        IOC_CAP_SENDER_NAME: '烟台市城市运行管理中心',
        IOC_CAP_SENDER_NAME_EN: 'Yantai City Operations Centre',
        IOC_CAP_IDENTIFIER_PREFIX: 'cn.yantai.ioc',
      }).capSender,
    ).toEqual({
      sender: 'ioc@yantai.example',
      identifierPrefix: 'cn.yantai.ioc',
      senderName: { zh: '烟台市城市运行管理中心', en: 'Yantai City Operations Centre' },
    });
  });

  it('names the sender by IOC_CAP_SENDER_NAME in both languages when no English name is set', () => {
    expect(capSenderFromEnv({ IOC_CAP_SENDER_NAME: '烟台市城市运行管理中心' }).senderName).toEqual({
      zh: '烟台市城市运行管理中心',
      en: '烟台市城市运行管理中心',
    });
  });

  it.each([
    ['IOC_CAP_SENDER', 'ioc at yantai'],
    ['IOC_CAP_SENDER', 'ioc@yantai.example,other'],
    ['IOC_CAP_SENDER', 'ioc&co@yantai.example'],
    ['IOC_CAP_SENDER', '<ioc>@yantai.example'],
    ['IOC_CAP_SENDER', 'ioc@yantai.example\n'],
    ['IOC_CAP_SENDER', ''],
    ['IOC_CAP_SENDER', `${'x'.repeat(200)}@yantai.example`],
    ['IOC_CAP_IDENTIFIER_PREFIX', 'cn yantai'],
    ['IOC_CAP_SENDER_NAME', '   '],
    ['IOC_CAP_SENDER_NAME_EN', 'Yantai\u0007'],
  ])('refuses to start with %s=%j, naming the variable', (name, value) => {
    const load = () => loadConfig({ ...TEST_ENV, [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`invalid CAP sender settings: ${name}: `));
  });

  it('explains the CAP rule a sender broke', () => {
    expect(() => loadConfig({ ...TEST_ENV, IOC_CAP_SENDER: 'City IOC' })).toThrow(/no spaces, commas, < or &/);
  });
});
