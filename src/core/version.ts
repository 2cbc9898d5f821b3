/** Version reported on `/version` and in MasterInfo: the Mesos API level we match, and our own. */
export const MESOS_VERSION = '1.12.0';
export const AGORA_VERSION = '0.1.0';
