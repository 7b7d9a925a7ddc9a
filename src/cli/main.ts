console.log('etascape: CLI not yet written');
