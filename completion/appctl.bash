# bash completion for appctl. Installed as
# share/bash-completion/completions/appctl; or source it from ~/.bashrc.
#
# The words come from `appctl __complete WORD...`, which reads appctl's own
# command table and command pages, so this file never needs an update when
# a command or an option is added. Where it offers nothing (a file name, an
# option's value), bash completes file names.

_appctl()
{
	local appctl=${COMP_WORDS[0]} IFS=$'\n'

	# A path typed as ~/bin/appctl is not expanded in COMP_WORDS.
	[[ $appctl == '~/'* ]] && appctl=$HOME/${appctl#'~/'}
	COMPREPLY=($("$appctl" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}

complete -o bashdefault -o default -F _appctl appctl
