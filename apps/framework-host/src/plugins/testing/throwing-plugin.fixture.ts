throw new Error('cannot find the configuration file /etc/nowhere.json');
export {};
